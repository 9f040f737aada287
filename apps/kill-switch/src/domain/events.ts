import type { Kill } from './types';

/** The command's metadata, carried by every event it produced. */
export interface EventMetadata {
  commandId: string;
  actor: string;
  at: string;
}

type Event<Type extends string, Data> = Readonly<{ type: Type; data: Data; metadata: EventMetadata }>;

export type KillEngaged = Event<'KillEngaged', { kill: Kill }>;
export type KillReleased = Event<'KillReleased', { killId: string; reason: string | null }>;
export type KillExpired = Event<'KillExpired', { killId: string; expiresAt: string }>;
export type FallbackSet = Event<'FallbackSet', { agent: string; versionId: string | null; previousVersionId: string | null }>;
/** Closes every change: the kill set's next revision (the contract event carries the whole set at it). */
export type KillSetRevised = Event<'KillSetRevised', { revision: number; change: string }>;

export type KillSwitchEvent = KillEngaged | KillReleased | KillExpired | FallbackSet | KillSetRevised;
export type KillSwitchEventType = KillSwitchEvent['type'];
