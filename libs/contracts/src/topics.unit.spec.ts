import { EVENT_TYPES } from './catalog';
import { EXAMPLES } from './examples';
import { TOPICS, TOPIC_LIST, dlqTopic, keyFor, topicFor } from './topics';

describe('topics', () => {
  it('every event type is carried by exactly one topic', () => {
    for (const type of EVENT_TYPES) {
      expect(TOPIC_LIST.filter((topic) => topic.carries.includes(type))).toHaveLength(1);
    }
  });

  it('topic names are unique, versioned and iris-prefixed', () => {
    const names = TOPIC_LIST.map((topic) => topic.name);
    expect(new Set(names).size).toBe(names.length);
    for (const name of names) expect(name).toMatch(/^iris\.[a-z]+\.v\d+$/);
  });

  it('keys telemetry by sessionId and control events by agent, the kill set by environment', () => {
    expect(keyFor(EXAMPLES['agent.request.completed'])).toBe('sess-1');
    expect(keyFor(EXAMPLES['agent.feedback.recorded'])).toBe('sess-1');
    expect(keyFor(EXAMPLES['routing.decision'])).toBe('support-bot');
    expect(keyFor(EXAMPLES['rollout.event'])).toBe('support-bot');
    expect(keyFor(EXAMPLES['killswitch.set'])).toBe('production');
  });

  it('produces a non-empty key for every example', () => {
    for (const type of EVENT_TYPES) expect(keyFor(EXAMPLES[type])).not.toBe('');
  });

  it('routes types to topics', () => {
    expect(topicFor('agent.session.started').name).toBe('iris.telemetry.v1');
    expect(topicFor('routing.decision')).toBe(TOPICS.routing);
    expect(TOPICS.routing.compacted).toBe(true);
    expect(TOPICS.killswitch.compacted).toBe(true);
    expect(TOPICS.telemetry.compacted).toBe(false);
    expect(TOPICS.registry.retainedForever).toBe(true); // the controller's version catalog is rebuilt from it
  });

  it('names dead-letter topics', () => {
    expect(dlqTopic(TOPICS.telemetry.name)).toBe('iris.telemetry.v1.dlq');
  });
});
