import { createHash } from 'node:crypto';

/** A tool call as reported in telemetry (arguments are hashed, never shipped). */
export interface RecordedToolCall {
  name: string;
  argsHash: string;
  ok: boolean;
  latencyMs: number;
}

/** What a handler is given for one run of a request, as the primary or in shadow. */
export interface AgentRunContext {
  /** The version this run is for: the routed version (primary), a candidate, or the baseline again (noise). */
  readonly versionId: string;
  readonly role: 'primary' | 'shadow';
  /** A baseline-vs-baseline rerun (noise sampling). */
  readonly noise: boolean;
  /** Aborted when a shadow run times out: stop working. */
  readonly signal: AbortSignal;
  /**
   * Calls a tool through Iris: the call is recorded (name, argument hash, outcome, latency). In shadow, a tool
   * declared side-effecting is NOT executed: the call is recorded and answered with its stub.
   */
  tool<R>(name: string, args: unknown, run: (args: unknown) => R | Promise<R>): Promise<R>;
}

/** What a handler returns; the SDK measures latency and records the tool calls itself. */
export interface AgentRunResult {
  output: string;
  costUsd?: number;
  tokensIn?: number;
  tokensOut?: number;
  policyViolations?: Array<{ policy: string; detail: string }>;
  /** The run failed in a way the agent handled (it still answers `output`). */
  error?: { kind: string; message: string } | null;
}

export type AgentHandler<I> = (input: I, context: AgentRunContext) => AgentRunResult | Promise<AgentRunResult>;

/** The stub a side-effecting tool answers in shadow: a value, or a function of the arguments. */
export type ToolStub = unknown | ((args: unknown) => unknown);

/** Canonical JSON (object keys sorted), so equal arguments hash alike on every run and instance. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.keys(value as Record<string, unknown>)
    .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`);
  return `{${entries.join(',')}}`;
}

export const argsHash = (args: unknown): string => `sha256:${createHash('sha256').update(canonicalJson(args)).digest('hex').slice(0, 32)}`;
export const outputDigest = (output: string): string => `sha256:${createHash('sha256').update(output).digest('hex')}`;

/** The default stub answer of a side-effecting tool in shadow. */
export const DEFAULT_TOOL_STUB = Object.freeze({ stubbed: true });

/** One run's context: records tool calls; in shadow, stubs side-effecting ones. */
export class RunContext implements AgentRunContext {
  readonly calls: RecordedToolCall[] = [];
  stubbedCalls = 0;

  constructor(
    readonly versionId: string,
    readonly role: 'primary' | 'shadow',
    readonly noise: boolean,
    readonly signal: AbortSignal,
    private readonly sideEffectTools: ReadonlySet<string>,
    private readonly stubs: Readonly<Record<string, ToolStub>>,
  ) {}

  async tool<R>(name: string, args: unknown, run: (args: unknown) => R | Promise<R>): Promise<R> {
    const hash = argsHash(args);
    if (this.role === 'shadow' && this.sideEffectTools.has(name)) {
      this.stubbedCalls++;
      this.calls.push({ name, argsHash: hash, ok: true, latencyMs: 0 });
      const stub = Object.prototype.hasOwnProperty.call(this.stubs, name) ? this.stubs[name] : DEFAULT_TOOL_STUB;
      return (typeof stub === 'function' ? (stub as (a: unknown) => unknown)(args) : stub) as R;
    }
    const started = performance.now();
    try {
      const result = await run(args);
      this.calls.push({ name, argsHash: hash, ok: true, latencyMs: performance.now() - started });
      return result;
    } catch (error) {
      this.calls.push({ name, argsHash: hash, ok: false, latencyMs: performance.now() - started });
      throw error;
    }
  }
}
