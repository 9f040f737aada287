import type { IsoTimestamp, KillScope, OnKill } from './types';

/** Every command says who asked, when (the only clock the rules know), and carries an id for idempotent redelivery. */
export interface CommandMetadata {
  commandId: string;
  actor: string;
  at: IsoTimestamp;
}

type Command<Type extends string, Data> = Readonly<{ type: Type; data: Data; metadata: CommandMetadata }>;

export type EngageKill = Command<
  'EngageKill',
  {
    killId: string;
    scope: KillScope;
    reason: string;
    /** An absolute end, or … */
    expiresAt?: IsoTimestamp;
    /** … a lifetime counted from the command's time (not both). */
    ttlMs?: number;
    onKill?: OnKill;
    allowNoRoute?: boolean;
  }
>;
export type ReleaseKill = Command<'ReleaseKill', { killId: string; reason?: string }>;
/** Sends the current time: kills whose expiry has passed are dropped (every other command does it first, too). */
export type ExpireKills = Command<'ExpireKills', Record<string, never>>;
/** The agent's safe fallback version; null clears it (the routing table's fallback serves). */
export type SetFallback = Command<'SetFallback', { agent: string; versionId: string | null }>;

export type KillSwitchCommand = EngageKill | ReleaseKill | ExpireKills | SetFallback;
export type KillSwitchCommandType = KillSwitchCommand['type'];
