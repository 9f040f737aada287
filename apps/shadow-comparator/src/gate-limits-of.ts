import type { ShadowComparatorSettings } from '@iris/config';
import { DEFAULT_SHADOW_GATE_LIMITS, type ShadowGateLimits } from './domain';

/** The gate limits from the typed configuration (SHADOW_GATE_*). */
export function gateLimitsOf(settings: ShadowComparatorSettings): ShadowGateLimits {
  return { ...DEFAULT_SHADOW_GATE_LIMITS, ...settings.gate };
}
