import { EmbeddedMessageBus } from './embedded-message-bus';
import { silentLogger } from './logger';
import { describeMessageBusContract } from './testing/message-bus-contract';

describeMessageBusContract('EmbeddedMessageBus', () => new EmbeddedMessageBus({ logger: silentLogger }), { timeoutMs: 5_000 });

describe('EmbeddedMessageBus specifics', () => {
  it('never delivers synchronously inside publish', async () => {
    const bus = new EmbeddedMessageBus({ logger: silentLogger });
    let delivered = 0;
    await bus.subscribe({ topic: 't', groupId: 'g', decode: (raw) => raw.value!.toString(), handleBatch: async (b) => void (delivered += b.length) });
    const publishing = bus.publish('t', [{ key: null, value: 'x' }]);
    expect(delivered).toBe(0);
    await publishing;
    expect(delivered).toBe(0);
    await new Promise((done) => setTimeout(done, 20));
    expect(delivered).toBe(1);
    await bus.close();
  });

  it('starts a new group at the end of the log unless fromBeginning', async () => {
    const bus = new EmbeddedMessageBus({ logger: silentLogger });
    await bus.publish('t', [{ key: null, value: 'old' }]);
    const latest: string[] = [];
    const replay: string[] = [];
    await bus.subscribe({ topic: 't', groupId: 'latest', decode: (raw) => raw.value!.toString(), handleBatch: async (b) => void latest.push(...b.map((m) => m.value)) });
    await bus.subscribe({ topic: 't', groupId: 'replay', fromBeginning: true, decode: (raw) => raw.value!.toString(), handleBatch: async (b) => void replay.push(...b.map((m) => m.value)) });
    await bus.publish('t', [{ key: null, value: 'new' }]);
    await new Promise((done) => setTimeout(done, 20));
    expect(latest).toEqual(['new']);
    expect(replay).toEqual(['old', 'new']);
    await bus.close();
  });
});
