import { decodeMessage, type EventOf } from '@iris/contracts';
import { IrisAgentClient, type IrisAgentClientOptions } from '../index';
import { silentAgentLogger } from '../logger';
import { route } from '../routing/route';
import { routingDecision, version } from '../testing/routing-tables';
import { RecordingBus, waitFor } from '../testing/recording-bus';
import { argsHash } from './run-context';
import type { AgentHandler } from './run-context';
import { sampledForNoise } from './shadow-runner';

type Completed = EventOf<'agent.request.completed'>;

const TABLE = routingDecision('support-bot', 3, { versions: [version('v1', 1)], shadowTargets: [{ versionId: 'v2', sampleRate: 1 }] });
const decisionFor = (sessionId: string) => route(TABLE, { agent: 'support-bot', sessionId }, Date.now());
const request = (n: number) => ({ sessionId: `s${n}`, requestId: `r${n}`, tenant: 'acme', feature: 'refunds', input: { orderId: 1042 + n }, decision: decisionFor(`s${n}`) });

describe('IrisAgentClient shadow runs', () => {
  let bus: RecordingBus;
  const clients: IrisAgentClient[] = [];
  const client = (options: Partial<IrisAgentClientOptions> = {}) => {
    const created = new IrisAgentClient({ agent: 'support-bot', versionId: 'v1', transport: bus, logger: silentAgentLogger, flushIntervalMs: 5, ...options });
    clients.push(created);
    return created;
  };
  const published = (): Completed[] =>
    bus.messages.map((m) => decodeMessage(m.value as string)).filter((e): e is Completed => e.type === 'agent.request.completed');

  beforeEach(() => (bus = new RecordingBus()));
  afterEach(async () => void (await Promise.all(clients.splice(0).map((c) => c.close({ timeoutMs: 500 })))));

  it('the user sees the primary; the candidate runs in the background with the same input and reports as a shadow of the primary', async () => {
    const sdk = client({ shadow: { noiseSampleRate: 0, shipOutput: true } });
    const inputs: Array<[string, unknown]> = [];
    const handler: AgentHandler<{ orderId: number }> = async (input, ctx) => {
      inputs.push([ctx.versionId, input]);
      await ctx.tool('lookup_order', { id: input.orderId }, () => ({ status: 'shipped' }));
      return { output: `answer from ${ctx.versionId}`, costUsd: ctx.versionId === 'v2' ? 0.02 : 0.01 };
    };
    const served = await sdk.serve(request(1), handler);
    expect(served.result.output).toBe('answer from v1');
    expect(served.shadows).toEqual([{ versionId: 'v2', noise: false }]);
    await waitFor(() => published().length === 2);

    const [primary, shadow] = [published().find((e) => e.data.role === 'primary')!, published().find((e) => e.data.role === 'shadow')!];
    expect(inputs).toEqual([['v1', { orderId: 1043 }], ['v2', { orderId: 1043 }]]);
    expect(primary.data).toMatchObject({ versionId: 'v1', sessionId: 's1', requestId: 'r1', shadowsDispatched: [{ versionId: 'v2', noise: false }], output: 'answer from v1' });
    expect(shadow.data).toMatchObject({
      versionId: 'v2',
      sessionId: 's1',
      requestId: 'r1',
      role: 'shadow',
      costUsd: 0.02,
      error: null,
      output: 'answer from v2',
      shadow: { primaryVersionId: 'v1', noise: false, stubbedToolCalls: 0 },
    });
    expect(shadow.data.toolCalls).toEqual([expect.objectContaining({ name: 'lookup_order', argsHash: argsHash({ id: 1043 }), ok: true })]);
    expect(primary.data.toolCalls[0]!.argsHash).toBe(shadow.data.toolCalls[0]!.argsHash);
    expect(primary.data.outputDigest).not.toBe(shadow.data.outputDigest);
  });

  it('a side-effecting tool is never executed in shadow: the call is recorded and answered with its stub', async () => {
    const sdk = client({ shadow: { noiseSampleRate: 0, sideEffectTools: ['issue_refund'], stubs: { issue_refund: (args: unknown) => ({ refundId: 'stub', args }) } } });
    const realRefund = jest.fn((args: unknown): unknown => ({ refundId: 'real-77', args }));
    const answers: Array<[string, unknown]> = [];
    const handler: AgentHandler<{ orderId: number }> = async (input, ctx) => {
      answers.push([ctx.versionId, await ctx.tool('issue_refund', { order: input.orderId, amount: 12 }, realRefund)]);
      return { output: 'refund requested' };
    };
    await sdk.serve(request(2), handler);
    await waitFor(() => published().length === 2);

    expect(realRefund).toHaveBeenCalledTimes(1); // the primary only
    expect(answers).toEqual([
      ['v1', { refundId: 'real-77', args: { order: 1044, amount: 12 } }],
      ['v2', { refundId: 'stub', args: { order: 1044, amount: 12 } }],
    ]);
    const shadow = published().find((e) => e.data.role === 'shadow')!;
    expect(shadow.data.toolCalls).toEqual([{ name: 'issue_refund', argsHash: argsHash({ amount: 12, order: 1044 }), ok: true, latencyMs: 0 }]);
    expect(shadow.data.shadow).toEqual({ primaryVersionId: 'v1', noise: false, stubbedToolCalls: 1 });
    expect(sdk.stats().shadow.stubbedToolCalls).toBe(1);
  });

  it('a slow shadow run delays nothing and is reported as a timeout; a throwing one fails only itself', async () => {
    const sdk = client({ shadow: { noiseSampleRate: 0, timeoutMs: 150 } });
    let aborted = false;
    const slow: AgentHandler<unknown> = async (_input, ctx) => {
      if (ctx.role === 'primary') return { output: 'fast' };
      ctx.signal.addEventListener('abort', () => (aborted = true));
      await new Promise((done) => setTimeout(done, 2_000).unref());
      return { output: 'too late' };
    };
    const started = performance.now();
    const served = await sdk.serve(request(3), slow);
    expect(performance.now() - started).toBeLessThan(100);
    expect(served.result.output).toBe('fast');

    const throwing: AgentHandler<unknown> = (_input, ctx) => {
      if (ctx.role === 'shadow') throw new Error('candidate crashed');
      return { output: 'fine' };
    };
    expect((await sdk.serve(request(4), throwing)).result.output).toBe('fine');

    await waitFor(() => published().filter((e) => e.data.role === 'shadow').length === 2, 3_000);
    const shadows = published().filter((e) => e.data.role === 'shadow');
    expect(shadows.find((e) => e.data.requestId === 'r3')!.data.error).toEqual({ kind: 'shadow_timeout', message: 'shadow run exceeded 150 ms' });
    expect(shadows.find((e) => e.data.requestId === 'r4')!.data.error).toEqual({ kind: 'shadow_failed', message: 'candidate crashed' });
    expect(aborted).toBe(true);
    expect(sdk.stats().shadow).toMatchObject({ dispatched: 2, timedOut: 1, failed: 1, completed: 0, inFlight: 0 });
  });

  it('shadow runs in flight are bounded: the excess is skipped, counted, and not announced to the comparator', async () => {
    const sdk = client({ shadow: { noiseSampleRate: 0, maxInFlight: 2, timeoutMs: 300 } });
    const hanging: AgentHandler<unknown> = (_input, ctx) => (ctx.role === 'primary' ? { output: 'ok' } : new Promise(() => undefined));
    const results = [];
    for (let n = 10; n < 15; n++) results.push(await sdk.serve(request(n), hanging));
    expect(results.map((r) => r.shadows.length)).toEqual([1, 1, 0, 0, 0]);
    expect(sdk.stats().shadow).toMatchObject({ dispatched: 2, skipped: 3, inFlight: 2 });
    await waitFor(() => published().filter((e) => e.data.role === 'primary').length === 5);
    expect(published().filter((e) => e.data.shadowsDispatched !== undefined).map((e) => e.data.requestId)).toEqual(['r10', 'r11']);
  });

  it('noise sampling re-runs the baseline itself in shadow, marked as noise', async () => {
    const sdk = client({ shadow: { noiseSampleRate: 1 } });
    const served = await sdk.serve(request(20), (_i, ctx) => ({ output: ctx.noise ? 'rerun' : 'run' }));
    expect(served.shadows).toEqual([{ versionId: 'v2', noise: false }, { versionId: 'v1', noise: true }]);
    await waitFor(() => published().length === 3);
    expect(published().find((e) => e.data.shadow?.noise)!.data).toMatchObject({ versionId: 'v1', role: 'shadow', shadow: { primaryVersionId: 'v1', noise: true } });
    expect(sdk.stats().shadow.noiseRuns).toBe(1);
  });

  it('the noise draw is deterministic per request and close to its rate', () => {
    const drawn = Array.from({ length: 20_000 }, (_, i) => sampledForNoise(`s${i}`, `r${i}`, 0.05)).filter(Boolean).length;
    expect(drawn / 20_000).toBeGreaterThan(0.045);
    expect(drawn / 20_000).toBeLessThan(0.055);
    expect(sampledForNoise('s1', 'r1', 0.05)).toBe(sampledForNoise('s1', 'r1', 0.05));
  });

  it('a request not sampled for shadow runs only the primary and announces nothing', async () => {
    const sdk = client({ shadow: { noiseSampleRate: 1 } });
    const handler = jest.fn(() => ({ output: 'ok' }));
    const decision = route(routingDecision('support-bot', 1, { versions: [version('v1', 1)] }), { agent: 'support-bot', sessionId: 's30' }, Date.now());
    const served = await sdk.serve({ ...request(30), decision }, handler);
    expect(served.shadows).toEqual([]);
    await waitFor(() => published().length === 1);
    expect(published()[0]!.data.shadowsDispatched).toBeUndefined();
    expect(handler).toHaveBeenCalledTimes(1);
  });

  it('a primary that throws is recorded as an exception and rethrown', async () => {
    const sdk = client({ shadow: { noiseSampleRate: 0 } });
    await expect(sdk.serve(request(40), (_i, ctx) => { if (ctx.role === 'primary') throw new Error('boom'); return { output: 'x' }; })).rejects.toThrow('boom');
    await waitFor(() => published().length === 2);
    expect(published().find((e) => e.data.role === 'primary')!.data.error).toEqual({ kind: 'exception', message: 'boom' });
  });

  it('bad shadow options are refused at construction', () => {
    expect(() => client({ shadow: { noiseSampleRate: 2 } })).toThrow('shadow.noiseSampleRate');
    expect(() => client({ shadow: { stubs: { send_email: {} } } })).toThrow('not declared in shadow.sideEffectTools');
  });
});
