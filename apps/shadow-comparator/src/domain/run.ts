import type { EventOf } from '@iris/contracts';

/** A tool call as compared: its name and the digest of its arguments. */
export interface ToolStep {
  name: string;
  argsHash: string;
}

/** What the comparator keeps of one agent.request.completed (primary or shadow run). */
export interface RunRecord {
  role: 'primary' | 'shadow';
  environment: string;
  agent: string;
  versionId: string;
  sessionId: string;
  requestId: string;
  /** Event time, epoch ms. */
  atMs: number;
  latencyMs: number;
  costUsd: number;
  tools: ToolStep[];
  outputDigest: string;
  output?: string;
  /** Policies violated (names). */
  violations: string[];
  /** Error kind, null when the run succeeded. */
  error: string | null;
  /** Shadow runs: the primary version they mirror, and whether this is a baseline-vs-baseline (noise) rerun. */
  mirrors?: { primaryVersionId: string; noise: boolean };
  /** Primaries: the shadow runs dispatched for this request (each is expected). */
  dispatched?: ShadowSlot[];
}

/** One expected shadow run of a request: its version and whether it is a noise rerun. */
export interface ShadowSlot {
  versionId: string;
  noise: boolean;
}

/** Unambiguous for any ids, and storable in jsonb (which refuses NUL characters). */
export const pairKey = (sessionId: string, requestId: string): string => JSON.stringify([sessionId, requestId]);
export const slotKey = (slot: ShadowSlot): string => `${slot.noise ? 'noise' : 'candidate'}:${slot.versionId}`;

/** The run an event reports; undefined for events the comparator has nothing to do with. */
export function runOf(event: EventOf<'agent.request.completed'>): RunRecord | undefined {
  const d = event.data;
  if (d.role === 'shadow' && d.shadow === undefined) return undefined; // a shadow run from an SDK that does not say what it mirrors
  if (d.role === 'primary' && (d.shadowsDispatched === undefined || d.shadowsDispatched.length === 0)) return undefined;
  const run: RunRecord = {
    role: d.role,
    environment: event.environment,
    agent: d.agent,
    versionId: d.versionId,
    sessionId: d.sessionId,
    requestId: d.requestId,
    atMs: Date.parse(event.occurredAt),
    latencyMs: d.latencyMs,
    costUsd: d.costUsd,
    tools: d.toolCalls.map((c) => ({ name: c.name, argsHash: c.argsHash })),
    outputDigest: d.outputDigest,
    violations: d.policyViolations.map((v) => v.policy),
    error: d.error === null ? null : d.error.kind,
  };
  if (d.output !== undefined) run.output = d.output;
  if (d.shadow) run.mirrors = { primaryVersionId: d.shadow.primaryVersionId, noise: d.shadow.noise };
  if (d.role === 'primary' && d.shadowsDispatched) run.dispatched = d.shadowsDispatched.map((s) => ({ versionId: s.versionId, noise: s.noise }));
  return run;
}
