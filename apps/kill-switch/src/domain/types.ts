import type { KillData, KillScopeData, OnKill } from '@iris/contracts';

/** ISO-8601 instant with a timezone. */
export type IsoTimestamp = string;
export type KillScope = KillScopeData;
export type Kill = KillData;
export type { OnKill };
