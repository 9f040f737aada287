import { encodeMessage, TOPICS } from '@iris/contracts';
import { EmbeddedMessageBus, silentLogger } from '@iris/messaging';
import { IrisAgentClient } from '../iris-agent-client';
import { waitFor } from '../testing/recording-bus';
import { kill, killSetEvent } from '../testing/kill-sets';
import { KillSetSubscriber } from './kill-set-subscriber';

const topic = TOPICS.killswitch.name;
const publish = (bus: EmbeddedMessageBus, event: ReturnType<typeof killSetEvent>) => bus.publish(topic, [{ key: event.environment, value: encodeMessage(event) }]);

describe('KillSetSubscriber (embedded bus)', () => {
  let bus: EmbeddedMessageBus;
  beforeEach(() => (bus = new EmbeddedMessageBus({ logger: silentLogger })));
  afterEach(() => bus.close());

  it('learns the current kill set of its environment at start; older revisions, other environments and poison are skipped', async () => {
    await bus.ensureTopics([{ topic, partitions: 1, compacted: true }]);
    await publish(bus, killSetEvent(1, [kill('k-1', { agent: 'bot' })]));
    await publish(bus, killSetEvent(2, [kill('k-1', { agent: 'bot' }), kill('k-2', {})]));
    await publish(bus, killSetEvent(1, [])); // a re-publication of an older revision
    await publish(bus, killSetEvent(9, [], {}, 'staging'));
    await bus.publish(topic, [{ key: 'production', value: '{"broken"' }]);
    const subscriber = new KillSetSubscriber({ bus, environment: 'production' });
    try {
      await subscriber.start();
      await subscriber.ready();
      expect(subscriber.killSet()?.revision).toBe(2);
      expect(subscriber.killSet()?.forAgent('bot')?.kills.map((k) => k.killId)).toEqual(['k-1', 'k-2']);
      expect(subscriber.killSet()?.forAgent('other')?.kills.map((k) => k.killId)).toEqual(['k-2']);
      expect(subscriber.stats()).toMatchObject({ applied: 2, stale: 1, ignored: 1, invalid: 1, ready: true, revision: 2, kills: 2 });
    } finally {
      await subscriber.stop();
    }
  });

  it('the client applies a kill published after it started, and its release', async () => {
    const client = IrisAgentClient.forBus(bus, { agent: 'bot', versionId: 'v1', logger: { log: () => undefined }, routing: {} });
    try {
      expect(await client.ready({ timeoutMs: 5_000 })).toBe(true);
      expect(client.route({ sessionId: 's' })).toMatchObject({ versionId: 'v1', reason: 'fallback' });
      await publish(bus, killSetEvent(1, [kill('k-1', { agent: 'bot', versionId: 'v1' }, { allowNoRoute: true })]));
      await waitFor(() => client.killSet()?.revision === 1);
      expect(client.route({ sessionId: 's2' })).toMatchObject({ versionId: null, reason: 'killed', killId: 'k-1' });
      await publish(bus, killSetEvent(2, []));
      await waitFor(() => client.killSet()?.revision === 2);
      expect(client.route({ sessionId: 's3' })).toMatchObject({ versionId: 'v1', reason: 'fallback' });
      expect(client.killSwitchStats()).toMatchObject({ applied: 2, ready: true });
    } finally {
      await client.close({ timeoutMs: 100 });
    }
  });

  it('can be turned off', async () => {
    const client = IrisAgentClient.forBus(bus, { agent: 'bot', versionId: 'v1', logger: { log: () => undefined }, routing: { killSwitch: false } });
    try {
      expect(client.killSwitchStats()).toBeNull();
    } finally {
      await client.close({ timeoutMs: 100 });
    }
  });
});
