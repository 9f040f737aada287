import { AgentSdkConfigError } from '../errors';
import type { ToolStub } from './run-context';

/** Shadow runs (mirrored traffic) and noise sampling. */
export interface ShadowOptions {
  /** Tools with side effects (send e-mail, refund, write): never executed in shadow, answered with a stub. */
  sideEffectTools?: string[];
  /** Stub answer per side-effecting tool (a value or a function of the arguments). Default `{ stubbed: true }`. */
  stubs?: Record<string, ToolStub>;
  /** A shadow run still going after this long is abandoned (its signal aborted) and reported as `shadow_timeout`. Default 30,000 ms. */
  timeoutMs?: number;
  /** Most shadow runs in flight in this client; beyond it new ones are skipped and counted. Default 16. */
  maxInFlight?: number;
  /**
   * Share of shadowed requests also re-run on the primary's own version (baseline vs baseline), from which the
   * comparator measures the noise floor. Default 0.05.
   */
  noiseSampleRate?: number;
  /** Ship output texts (both sides) so the comparator can score similarity, not just compare digests. Default false. */
  shipOutput?: boolean;
}

export type ResolvedShadowOptions = Required<ShadowOptions>;

export const SHADOW_DEFAULTS = { timeoutMs: 30_000, maxInFlight: 16, noiseSampleRate: 0.05, shipOutput: false } as const;

export function resolveShadowOptions(options: ShadowOptions = {}): ResolvedShadowOptions {
  const resolved: ResolvedShadowOptions = {
    sideEffectTools: options.sideEffectTools ?? [],
    stubs: options.stubs ?? {},
    timeoutMs: options.timeoutMs ?? SHADOW_DEFAULTS.timeoutMs,
    maxInFlight: options.maxInFlight ?? SHADOW_DEFAULTS.maxInFlight,
    noiseSampleRate: options.noiseSampleRate ?? SHADOW_DEFAULTS.noiseSampleRate,
    shipOutput: options.shipOutput ?? SHADOW_DEFAULTS.shipOutput,
  };
  if (!Number.isInteger(resolved.timeoutMs) || resolved.timeoutMs < 1) throw new AgentSdkConfigError(`shadow.timeoutMs must be a positive integer, got ${String(resolved.timeoutMs)}`);
  if (!Number.isInteger(resolved.maxInFlight) || resolved.maxInFlight < 0) throw new AgentSdkConfigError(`shadow.maxInFlight must be an integer ≥ 0, got ${String(resolved.maxInFlight)}`);
  if (!(resolved.noiseSampleRate >= 0 && resolved.noiseSampleRate <= 1)) throw new AgentSdkConfigError(`shadow.noiseSampleRate must be within 0…1, got ${String(resolved.noiseSampleRate)}`);
  if (!Array.isArray(resolved.sideEffectTools) || resolved.sideEffectTools.some((t) => typeof t !== 'string' || t === '')) {
    throw new AgentSdkConfigError('shadow.sideEffectTools must list tool names');
  }
  for (const name of Object.keys(resolved.stubs)) {
    if (!resolved.sideEffectTools.includes(name)) throw new AgentSdkConfigError(`shadow.stubs.${name}: the tool is not declared in shadow.sideEffectTools`);
  }
  return resolved;
}
