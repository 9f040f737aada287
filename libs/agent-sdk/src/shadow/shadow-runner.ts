import { AgentSdkError } from '../errors';
import type { AgentSdkLogger } from '../logger';
import { fnv1aUtf8, fmix32 } from '../routing/session-hash';
import type { RequestCompletedInput } from '../telemetry-input';
import { outputDigest, RunContext, type AgentHandler, type AgentRunResult } from './run-context';
import type { ResolvedShadowOptions } from './shadow-options';

/** A shadow run started for a request; list them in the primary's `shadowsDispatched`. */
export interface ShadowDispatch {
  versionId: string;
  noise: boolean;
}

/** The request whose shadow runs are started: the primary's ids and version, the same input. */
export interface ShadowRunRequest<I> {
  sessionId: string;
  requestId: string;
  tenant: string;
  feature: string;
  input: I;
  /** The version serving the user (the baseline the shadow runs are compared with). */
  primaryVersionId: string;
  /** Candidates the routing table sampled this request for (RouteDecision.shadow). */
  candidates: ReadonlyArray<{ versionId: string }>;
}

export interface ShadowStats {
  /** Shadow runs started (candidates and noise reruns). */
  dispatched: number;
  /** Of which baseline-vs-baseline noise reruns. */
  noiseRuns: number;
  /** Not started because maxInFlight runs were already going. */
  skipped: number;
  completed: number;
  /** The handler threw or rejected (reported as error kind shadow_failed). */
  failed: number;
  /** Abandoned after timeoutMs (reported as error kind shadow_timeout). */
  timedOut: number;
  inFlight: number;
  /** Side-effecting tool calls answered with a stub instead of being executed. */
  stubbedToolCalls: number;
}

/** No version to serve (every version killed and no default): the handler was not called. */
export class NoRoutableVersionError extends AgentSdkError {
  readonly code = 'AGENT_SDK_NO_ROUTABLE_VERSION';
}

/** Whether this request is also re-run on the baseline: a deterministic draw per (session, request). */
export function sampledForNoise(sessionId: string, requestId: string, rate: number): boolean {
  if (rate <= 0) return false;
  if (rate >= 1) return true;
  return fmix32(fnv1aUtf8(`${sessionId}\u0000${requestId}`)) / 4294967296 < rate;
}

/**
 * Runs a request's shadow runs in the background: never on the caller's stack, never awaited by it, bounded in
 * number, each with a timeout. Every run started is reported (role 'shadow', the primary's ids), whether it
 * completed, failed or timed out, so the comparator can tell a shadow failure from a lost record.
 */
export class ShadowRunner {
  private readonly counters: Omit<ShadowStats, 'inFlight'> = { dispatched: 0, noiseRuns: 0, skipped: 0, completed: 0, failed: 0, timedOut: 0, stubbedToolCalls: 0 };
  private inFlight = 0;
  private readonly sideEffectTools: ReadonlySet<string>;
  private readonly running = new Set<Promise<void>>();

  constructor(
    private readonly options: ResolvedShadowOptions,
    private readonly record: (input: RequestCompletedInput) => void,
    private readonly logger: AgentSdkLogger,
  ) {
    this.sideEffectTools = new Set(options.sideEffectTools);
  }

  /** Starts the shadow runs of one request (synchronous: nothing runs before the caller's next await). */
  dispatch<I>(request: ShadowRunRequest<I>, handler: AgentHandler<I>): ShadowDispatch[] {
    if (request.candidates.length === 0) return [];
    const slots: ShadowDispatch[] = request.candidates.map((c) => ({ versionId: c.versionId, noise: false }));
    if (sampledForNoise(request.sessionId, request.requestId, this.options.noiseSampleRate)) slots.push({ versionId: request.primaryVersionId, noise: true });
    const started: ShadowDispatch[] = [];
    for (const slot of slots) {
      if (this.inFlight >= this.options.maxInFlight) {
        this.counters.skipped++;
        continue;
      }
      this.start(slot, request, handler);
      started.push(slot);
    }
    return started;
  }

  stats(): ShadowStats {
    return { ...this.counters, inFlight: this.inFlight };
  }

  /** Resolves once every run started so far has finished or timed out (close(), tests). */
  async settled(): Promise<void> {
    while (this.running.size > 0) await Promise.all([...this.running]);
  }

  private start<I>(slot: ShadowDispatch, request: ShadowRunRequest<I>, handler: AgentHandler<I>): void {
    this.inFlight++;
    this.counters.dispatched++;
    if (slot.noise) this.counters.noiseRuns++;
    const controller = new AbortController();
    const context = new RunContext(slot.versionId, 'shadow', slot.noise, controller.signal, this.sideEffectTools, this.options.stubs);
    let startedAt = performance.now();
    const run = new Promise<void>((done) => {
      let finished = false;
      const finish = (outcome: { result?: AgentRunResult; error?: { kind: string; message: string } }) => {
        if (finished) return;
        finished = true;
        clearTimeout(timer);
        this.inFlight--;
        this.counters.stubbedToolCalls += context.stubbedCalls;
        this.report(slot, request, context, performance.now() - startedAt, outcome);
        done();
      };
      const timer = setTimeout(() => {
        this.counters.timedOut++;
        controller.abort();
        finish({ error: { kind: 'shadow_timeout', message: `shadow run exceeded ${this.options.timeoutMs} ms` } });
      }, this.options.timeoutMs);
      timer.unref?.();
      // Off the caller's stack: the primary starts first, and a handler that throws synchronously cannot reach it.
      setImmediate(() => {
        startedAt = performance.now(); // the run's latency, not its wait for a turn (a timeout still counts from dispatch)
        Promise.resolve()
          .then(() => handler(request.input, context))
          .then(
            (result) => {
              if (!finished) this.counters.completed++;
              finish({ result });
            },
            (error: unknown) => {
              if (!finished) this.counters.failed++;
              finish({ error: { kind: 'shadow_failed', message: String((error as Error)?.message ?? error).slice(0, 4096) } });
            },
          );
      });
    });
    this.running.add(run);
    void run.then(() => this.running.delete(run));
  }

  private report<I>(slot: ShadowDispatch, request: ShadowRunRequest<I>, context: RunContext, latencyMs: number, outcome: { result?: AgentRunResult; error?: { kind: string; message: string } }): void {
    try {
      const { result } = outcome;
      const output = result?.output ?? '';
      this.record({
        versionId: slot.versionId,
        sessionId: request.sessionId,
        requestId: request.requestId,
        tenant: request.tenant,
        feature: request.feature,
        role: 'shadow',
        latencyMs,
        tokensIn: result?.tokensIn ?? 0,
        tokensOut: result?.tokensOut ?? 0,
        costUsd: result?.costUsd ?? 0,
        toolCalls: [...context.calls],
        error: outcome.error ?? result?.error ?? null,
        policyViolations: result?.policyViolations ?? [],
        outputDigest: outputDigest(output),
        ...(this.options.shipOutput && result && { output }),
        shadow: { primaryVersionId: request.primaryVersionId, noise: slot.noise, stubbedToolCalls: context.stubbedCalls },
      });
    } catch (error) {
      this.logger.log('warn', 'reporting a shadow run failed', { error: (error as Error)?.message });
    }
  }
}
