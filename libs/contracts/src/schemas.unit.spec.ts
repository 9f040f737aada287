import { EVENT_TYPES, EventType, IrisEvent } from './catalog';
import { decodeMessage, encodeMessage, validateEvent } from './codec';
import { createEvent } from './create-event';
import { ContractViolationError } from './errors';
import { EXAMPLES, exampleOf } from './examples';

/** Runs `fn`, expecting a ContractViolationError; returns it. */
function violation(fn: () => unknown): ContractViolationError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ContractViolationError);
    expect((error as ContractViolationError).code).toBe('CONTRACT_VIOLATION');
    return error as ContractViolationError;
  }
  throw new Error('expected a ContractViolationError');
}

const mutated = <T extends EventType>(type: T, mutate: (event: Record<string, any>) => void): Record<string, any> => {
  const event = exampleOf(type) as unknown as Record<string, any>;
  mutate(event);
  return event;
};

describe('event schemas', () => {
  it('has an example for every event type', () => {
    expect(Object.keys(EXAMPLES).sort()).toEqual([...EVENT_TYPES].sort());
  });

  it.each(EVENT_TYPES)('%s: accepts its example, in memory and through bytes', (type) => {
    const example = EXAMPLES[type];
    expect(validateEvent(example)).toEqual(example);
    expect(decodeMessage(encodeMessage(example))).toEqual(example);
    expect(decodeMessage(JSON.stringify(example))).toEqual(example);
  });

  const REQUIRED_DATA_FIELD: { [T in EventType]: string } = {
    'agent.session.started': 'sessionId',
    'agent.session.ended': 'durationMs',
    'agent.request.completed': 'latencyMs',
    'agent.feedback.recorded': 'feedback',
    'registry.version.registered': 'versionId',
    'rollout.event': 'kind',
    'killswitch.set': 'revision',
    'metrics.snapshot': 'windowEnd',
    'shadow.report': 'verdict',
    'routing.decision': 'revision',
  };

  it.each(EVENT_TYPES)('%s: rejects a missing data field, naming it', (type) => {
    const field = REQUIRED_DATA_FIELD[type];
    const error = violation(() => decodeMessage(JSON.stringify(mutated(type, (e) => delete e.data[field]))));
    expect(error.issues).toContainEqual({ path: `data.${field}`, message: 'is required' });
    expect(error.message).toContain(`data.${field}: is required`);
  });

  it.each(EVENT_TYPES)('%s: rejects a wrong-typed data field, naming it', (type) => {
    const field = REQUIRED_DATA_FIELD[type];
    const error = violation(() => validateEvent(mutated(type, (e) => { e.data[field] = [true]; })));
    expect(error.issues).toContainEqual({ path: `data.${field}`, message: expect.stringMatching(/^must be .*\(got (array|\[true\])\)$/) });
  });

  it.each(EVENT_TYPES)('%s: rejects unknown envelope and payload fields', (type) => {
    const error = violation(() => validateEvent(mutated(type, (e) => { e.extra = 1; e.data.bogus = true; })));
    expect(error.issues).toEqual(expect.arrayContaining([
      { path: 'extra', message: 'unknown field' },
      { path: 'data.bogus', message: 'unknown field' },
    ]));
  });

  it('defaults environment to production when absent', () => {
    const event = mutated('agent.request.completed', (e) => delete e.environment);
    expect(validateEvent(event).environment).toBe('production');
    expect(decodeMessage(JSON.stringify(event)).environment).toBe('production');
  });

  it('rejects an environment that is not a lowercase slug', () => {
    const error = violation(() => validateEvent(mutated('shadow.report', (e) => { e.environment = 'Prod Env'; })));
    expect(error.message).toContain('environment: must be a lowercase slug');
  });
});

describe('agent.request.completed rejections', () => {
  const request = (mutate: (e: Record<string, any>) => void) => mutated('agent.request.completed', mutate);

  it('missing field', () => {
    const error = violation(() => decodeMessage(JSON.stringify(request((e) => delete e.data.outputDigest))));
    expect(error.message).toContain('data.outputDigest: is required');
    expect(error.reason).toBe('INVALID_FIELDS');
    expect(error.eventType).toBe('agent.request.completed');
  });

  it('wrong type', () => {
    const error = violation(() => decodeMessage(JSON.stringify(request((e) => { e.data.tokensIn = '812'; }))));
    expect(error.issues).toEqual([{ path: 'data.tokensIn', message: 'must be a number (got string)' }]);
  });

  it('non-integer token count', () => {
    expect(violation(() => validateEvent(request((e) => { e.data.tokensOut = 1.5; }))).message).toContain('data.tokensOut');
  });

  it('negative latency', () => {
    const error = violation(() => decodeMessage(JSON.stringify(request((e) => { e.data.latencyMs = -1; }))));
    expect(error.issues).toEqual([{ path: 'data.latencyMs', message: 'must be ≥ 0' }]);
  });

  it('negative tool-call latency, with the array index', () => {
    const error = violation(() => validateEvent(request((e) => { e.data.toolCalls[1].latencyMs = -5; })));
    expect(error.issues).toEqual([{ path: 'data.toolCalls[1].latencyMs', message: 'must be ≥ 0' }]);
  });

  it.each([NaN, Infinity, -Infinity])('cost %s (in-memory validate and encode)', (cost) => {
    const event = request((e) => { e.data.costUsd = cost; });
    const expected = { path: 'data.costUsd', message: `must be a finite number (got ${cost})` };
    expect(violation(() => validateEvent(event)).issues).toEqual([expected]);
    expect(violation(() => encodeMessage(event)).issues).toEqual([expected]);
  });

  it('NaN cost in JSON text is not JSON', () => {
    const text = JSON.stringify(EXAMPLES['agent.request.completed']).replace('"costUsd":0.00421', '"costUsd":NaN');
    expect(text).toContain('NaN');
    expect(violation(() => decodeMessage(text)).reason).toBe('NOT_JSON');
  });

  it('role outside primary|shadow', () => {
    const error = violation(() => validateEvent(request((e) => { e.data.role = 'canary'; })));
    expect(error.issues).toEqual([{ path: 'data.role', message: 'must be one of "primary", "shadow" (got "canary")' }]);
  });

  it('bad eventId UUID', () => {
    const error = violation(() => decodeMessage(JSON.stringify(request((e) => { e.eventId = 'not-a-uuid'; }))));
    expect(error.issues).toEqual([{ path: 'eventId', message: 'must be a UUID' }]);
  });

  it('timestamp without timezone', () => {
    const error = violation(() => validateEvent(request((e) => { e.occurredAt = '2025-01-31T12:00:00'; })));
    expect(error.issues[0].path).toBe('occurredAt');
    expect(error.message).toContain('with timezone');
  });

  it('feedback without score or rating', () => {
    const error = violation(() => validateEvent(request((e) => { e.data.userFeedback = { comment: 'meh' }; })));
    expect(error.issues).toEqual([{ path: 'data.userFeedback', message: 'must include score or rating' }]);
  });

  it('non-finite evaluator score', () => {
    expect(violation(() => validateEvent(request((e) => { e.data.scores.accuracy = NaN; }))).issues)
      .toEqual([{ path: 'data.scores.accuracy', message: 'must be a finite number (got NaN)' }]);
  });

  it('reports several offending fields at once', () => {
    const error = violation(() => validateEvent(request((e) => { e.data.latencyMs = -1; e.data.tokensIn = -2; })));
    expect(error.issues.map((i) => i.path)).toEqual(['data.latencyMs', 'data.tokensIn']);
  });
});

describe('control event rejections', () => {
  it('routing weight above 1 and negative revision', () => {
    const error = violation(() => validateEvent(mutated('routing.decision', (e) => {
      e.data.revision = -1;
      e.data.table.versions[0].newSessionWeight = 1.5;
    })));
    expect(error.issues).toEqual([
      { path: 'data.revision', message: 'must be ≥ 0' },
      { path: 'data.table.versions[0].newSessionWeight', message: 'must be ≤ 1' },
    ]);
  });

  it('routing table listing a version twice', () => {
    const error = violation(() => validateEvent(mutated('routing.decision', (e) => { e.data.table.versions[1].versionId = 'v42'; })));
    expect(error.issues).toEqual([{ path: 'data.table.versions', message: 'must not list a versionId twice' }]);
  });

  it('kill of a version without its agent', () => {
    const error = violation(() => validateEvent(mutated('killswitch.set', (e) => { delete e.data.kills[0].scope.agent; })));
    expect(error.issues[0].path).toBe('data.kills[0].scope.agent');
  });

  it('kill with an unknown onKill', () => {
    const error = violation(() => validateEvent(mutated('killswitch.set', (e) => { (e.data.kills[0] as { onKill: string }).onKill = 'explode'; })));
    expect(error.issues[0].path).toBe('data.kills[0].onKill');
  });

  it('metrics window ending before it starts', () => {
    const error = violation(() => validateEvent(mutated('metrics.snapshot', (e) => { e.data.windowEnd = '2025-01-31T11:00:00Z'; })));
    expect(error.issues).toEqual([{ path: 'data.windowEnd', message: 'must not be before windowStart' }]);
  });

  it('shadow report rate outside 0..1', () => {
    expect(violation(() => validateEvent(mutated('shadow.report', (e) => { e.data.decisionDifferenceRate = 1.2; }))).issues)
      .toEqual([{ path: 'data.decisionDifferenceRate', message: 'must be ≤ 1' }]);
  });

  it('shadow report window ending before it starts', () => {
    const error = violation(() => validateEvent(mutated('shadow.report', (e) => { e.data.windowEnd = '2025-01-31T11:00:00Z'; })));
    expect(error.issues).toEqual([{ path: 'data.windowEnd', message: 'must not be before windowStart' }]);
  });

  it('a shadow run names the primary version it mirrors; a primary lists the shadow runs it dispatched', () => {
    const shadow = mutated('agent.request.completed', (e) => {
      e.data.role = 'shadow';
      e.data.versionId = 'v43';
      e.data.shadow = { primaryVersionId: 'v42', noise: false, stubbedToolCalls: 1 };
    });
    expect(validateEvent(shadow)).toMatchObject({ data: { shadow: { primaryVersionId: 'v42', noise: false, stubbedToolCalls: 1 } } });
    const primary = mutated('agent.request.completed', (e) => { e.data.shadowsDispatched = [{ versionId: 'v43', noise: false }, { versionId: 'v42', noise: true }]; });
    expect(validateEvent(primary)).toMatchObject({ data: { shadowsDispatched: [{ versionId: 'v43' }, { versionId: 'v42', noise: true }] } });
    expect(violation(() => validateEvent(mutated('agent.request.completed', (e) => { e.data.shadow = { primaryVersionId: 'v42' }; }))).issues[0].path)
      .toBe('data.shadow.noise');
  });

  it('rollout detail accepts arbitrary keys (extension point)', () => {
    const event = mutated('rollout.event', (e) => { e.data.detail = { anything: { nested: [1, 'two'] } }; });
    expect((validateEvent(event) as IrisEvent & { type: 'rollout.event' }).data.detail).toEqual({ anything: { nested: [1, 'two'] } });
  });
});

describe('createEvent', () => {
  const data = EXAMPLES['agent.session.started'].data;

  it('fills the envelope', () => {
    const event = createEvent('agent.session.started', data);
    expect(event).toMatchObject({ type: 'agent.session.started', schemaVersion: 1, causationId: null, environment: 'production', data });
    expect(event.eventId).toMatch(/^[0-9a-f-]{36}$/);
    expect(event.correlationId).toBe(event.eventId);
    expect(Number.isNaN(Date.parse(event.occurredAt))).toBe(false);
  });

  it('uses the given options', () => {
    const event = createEvent('agent.session.started', data, {
      correlationId: 'corr-1',
      causationId: 'cause-1',
      environment: 'staging',
      occurredAt: new Date('2025-02-01T00:00:00Z'),
      eventId: '11111111-2222-4333-8444-555555555555',
    });
    expect(event).toMatchObject({
      correlationId: 'corr-1',
      causationId: 'cause-1',
      environment: 'staging',
      occurredAt: '2025-02-01T00:00:00.000Z',
      eventId: '11111111-2222-4333-8444-555555555555',
    });
  });

  it('validates the result', () => {
    expect(violation(() => createEvent('agent.session.ended', { ...EXAMPLES['agent.session.ended'].data, durationMs: -3 })).message)
      .toContain('data.durationMs: must be ≥ 0');
  });
});
