import { killScopeKind, MAX_KILLS_PER_ENVIRONMENT } from '@iris/contracts';
import type { EngageKill, KillSwitchCommand } from './commands';
import { KillSwitchError } from './errors';
import type { EventMetadata, KillSwitchEvent, KillSwitchEventType } from './events';
import { evolveAll } from './evolve';
import { findKill, type KillSetState } from './state';
import type { Kill } from './types';

type EventOf<T extends KillSwitchEventType> = Extract<KillSwitchEvent, { type: T }>;
type Emit = <T extends KillSwitchEventType>(type: T, data: EventOf<T>['data']) => EventOf<T>;

/**
 * decide(command, state) → events, or throws a KillSwitchError. Pure: the only clock is `command.metadata.at`.
 * Every command first expires the kills whose time has come (so expiry is a fact of the log, decided from the
 * commands' time, and replay gives the same set); any change is closed by one KillSetRevised with the next
 * revision. A redelivered command (same commandId) yields no events.
 */
export function decide(command: KillSwitchCommand, state: KillSetState): KillSwitchEvent[] {
  if (state.handledCommandIds.includes(command.metadata.commandId)) return [];
  const metadata: EventMetadata = { ...command.metadata };
  const emit: Emit = (type, data) => ({ type, data, metadata }) as EventOf<typeof type>;
  const nowMs = Date.parse(command.metadata.at);
  if (!Number.isFinite(nowMs)) throw invalid('at', 'the command time must be an ISO-8601 instant');
  const expired = expireDue(state, nowMs, emit);
  const own = decideCommand(command, evolveAll(state, expired), emit, nowMs);
  const changes = [...expired, ...own];
  if (changes.length === 0) return [];
  return [...changes, emit('KillSetRevised', { revision: state.revision + 1, change: describeChanges(changes) })];
}

function decideCommand(command: KillSwitchCommand, state: KillSetState, emit: Emit, nowMs: number): KillSwitchEvent[] {
  switch (command.type) {
    case 'EngageKill':
      return [emit('KillEngaged', { kill: newKill(command, state, nowMs) })];
    case 'ReleaseKill': {
      const kill = findKill(state, command.data.killId);
      if (!kill) throw new KillSwitchError('KILL_NOT_FOUND', `no kill ${command.data.killId} is in force (released, expired or never engaged)`);
      return [emit('KillReleased', { killId: kill.killId, reason: command.data.reason ?? null })];
    }
    case 'ExpireKills':
      return [];
    case 'SetFallback': {
      const { agent, versionId } = command.data;
      const previousVersionId = state.fallbacks[agent] ?? null;
      if (previousVersionId === versionId) return [];
      return [emit('FallbackSet', { agent, versionId, previousVersionId })];
    }
    default: {
      const unreachable: never = command;
      throw new Error(`unknown kill-switch command ${String(unreachable)}`);
    }
  }
}

/** Kills whose expiry is at or before `nowMs`, in set order. */
function expireDue(state: KillSetState, nowMs: number, emit: Emit): KillSwitchEvent[] {
  return state.kills
    .filter((kill) => kill.expiresAt !== null && Date.parse(kill.expiresAt) <= nowMs)
    .map((kill) => emit('KillExpired', { killId: kill.killId, expiresAt: kill.expiresAt! }));
}

function newKill(command: EngageKill, state: KillSetState, nowMs: number): Kill {
  const { killId, scope, reason, expiresAt, ttlMs, onKill = 'migrate', allowNoRoute = false } = command.data;
  if (killId.length === 0) throw invalid('killId', 'must not be empty');
  if (findKill(state, killId)) throw new KillSwitchError('KILL_EXISTS', `kill ${killId} is already in force`, { killId });
  if (scope.versionId !== undefined && scope.agent === undefined) throw invalid('scope.agent', 'a version kill must name its agent');
  if (reason.trim().length === 0) throw invalid('reason', 'say why the kill is engaged');
  if (expiresAt !== undefined && ttlMs !== undefined) throw invalid('ttlMs', 'give expiresAt or ttlMs, not both');
  let expiresAtMs: number | null = null;
  if (ttlMs !== undefined) {
    if (!Number.isInteger(ttlMs) || ttlMs <= 0) throw invalid('ttlMs', 'must be a positive integer of milliseconds');
    expiresAtMs = nowMs + ttlMs;
  } else if (expiresAt !== undefined) {
    expiresAtMs = Date.parse(expiresAt);
    if (!Number.isFinite(expiresAtMs)) throw invalid('expiresAt', 'must be an ISO-8601 instant');
    if (expiresAtMs <= nowMs) throw invalid('expiresAt', `must be in the future (now is ${new Date(nowMs).toISOString()})`);
  }
  if (state.kills.length >= MAX_KILLS_PER_ENVIRONMENT) {
    throw new KillSwitchError('TOO_MANY_KILLS', `an environment holds at most ${MAX_KILLS_PER_ENVIRONMENT} kills; release some first`);
  }
  return {
    killId,
    scope: { ...scope },
    reason,
    actor: command.metadata.actor,
    killedAt: new Date(nowMs).toISOString(),
    expiresAt: expiresAtMs === null ? null : new Date(expiresAtMs).toISOString(),
    onKill,
    allowNoRoute,
  };
}

function invalid(field: string, reason: string): KillSwitchError {
  return new KillSwitchError('INVALID_KILL', `${field}: ${reason}`, { errors: [{ field, reason }] });
}

/** "kill k-1 (version×tenant) engaged; kill k-0 expired". */
function describeChanges(events: readonly KillSwitchEvent[]): string {
  return events
    .map((event) => {
      switch (event.type) {
        case 'KillEngaged':
          return `kill ${event.data.kill.killId} (${killScopeKind(event.data.kill.scope)}) engaged`;
        case 'KillReleased':
          return `kill ${event.data.killId} released`;
        case 'KillExpired':
          return `kill ${event.data.killId} expired`;
        case 'FallbackSet':
          return event.data.versionId === null ? `fallback of ${event.data.agent} cleared` : `fallback of ${event.data.agent} set to ${event.data.versionId}`;
        case 'KillSetRevised':
          return '';
        default: {
          const unreachable: never = event;
          return String(unreachable);
        }
      }
    })
    .join('; ')
    .slice(0, 512);
}
