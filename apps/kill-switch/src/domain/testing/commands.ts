import type { CommandMetadata, EngageKill, ExpireKills, ReleaseKill, SetFallback } from '../commands';

export const T0 = Date.parse('2025-01-31T12:00:00.000Z');
export const at = (offsetMs: number) => new Date(T0 + offsetMs).toISOString();

let counter = 0;
const meta = (offsetMs: number, commandId?: string, actor = 'oncall@acme'): CommandMetadata => ({ commandId: commandId ?? `cmd-${++counter}`, actor, at: at(offsetMs) });

export const engage = (data: EngageKill['data'], offsetMs = 0, commandId?: string): EngageKill => ({ type: 'EngageKill', data, metadata: meta(offsetMs, commandId) });
export const release = (killId: string, offsetMs = 0, commandId?: string): ReleaseKill => ({ type: 'ReleaseKill', data: { killId }, metadata: meta(offsetMs, commandId) });
export const expire = (offsetMs: number): ExpireKills => ({ type: 'ExpireKills', data: {}, metadata: meta(offsetMs) });
export const setFallback = (agent: string, versionId: string | null, offsetMs = 0): SetFallback => ({ type: 'SetFallback', data: { agent, versionId }, metadata: meta(offsetMs) });
