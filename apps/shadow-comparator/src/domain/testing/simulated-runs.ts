import type { RunRecord, ShadowSlot } from '../run';

/** How a simulated agent version behaves: its tools, cost, and how non-deterministic it is. */
export interface SimulatedVersion {
  versionId: string;
  /** Tools called per request, in order. */
  tools: string[];
  costUsd: number;
  latencyMs: number;
  /** Chance a run words its answer differently (another output digest). */
  outputNoise: number;
  /** Chance a run calls its tools in another order. */
  toolOrderNoise: number;
  /** Chance a run errors. */
  errorRate: number;
}

/** A seeded PRNG (mulberry32): simulations are reproducible. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** One simulated run of `version` on request `n` (the request decides the arguments; noise decides the rest). */
export function simulateRun(
  version: SimulatedVersion,
  n: number,
  random: () => number,
  role: 'primary' | 'shadow',
  options: { agent?: string; atMs?: number; mirrors?: { primaryVersionId: string; noise: boolean }; dispatched?: ShadowSlot[] } = {},
): RunRecord {
  const tools = version.tools.map((name) => ({ name, argsHash: `h${n % 97}-${name}` }));
  if (tools.length > 1 && random() < version.toolOrderNoise) tools.reverse();
  const reworded = random() < version.outputNoise;
  const error = random() < version.errorRate ? 'model_error' : null;
  const run: RunRecord = {
    role,
    environment: 'production',
    agent: options.agent ?? 'support-bot',
    versionId: version.versionId,
    sessionId: `s${n}`,
    requestId: `r${n}`,
    atMs: options.atMs ?? 1_000_000 + n,
    latencyMs: version.latencyMs * (0.8 + 0.4 * random()),
    costUsd: version.costUsd * (0.9 + 0.2 * random()),
    tools,
    outputDigest: reworded ? `out-${n}-alt${Math.floor(random() * 3)}` : `out-${n}`,
    violations: [],
    error,
  };
  if (options.mirrors) run.mirrors = options.mirrors;
  if (options.dispatched) run.dispatched = options.dispatched;
  return run;
}
