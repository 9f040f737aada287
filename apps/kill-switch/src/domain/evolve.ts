import type { KillSwitchEvent } from './events';
import { IDEMPOTENCY_WINDOW, type KillSetState } from './state';

/** Applies one fact. Pure and total: replaying the same events yields the same state, field for field. */
export function evolve(state: KillSetState, event: KillSwitchEvent): KillSetState {
  const next = rememberCommand(state, event.metadata.commandId);
  switch (event.type) {
    case 'KillEngaged':
      return { ...next, kills: [...next.kills, event.data.kill] };
    case 'KillReleased':
    case 'KillExpired':
      return { ...next, kills: next.kills.filter((kill) => kill.killId !== event.data.killId) };
    case 'FallbackSet': {
      const { [event.data.agent]: _previous, ...others } = next.fallbacks;
      return { ...next, fallbacks: event.data.versionId === null ? others : { ...others, [event.data.agent]: event.data.versionId } };
    }
    case 'KillSetRevised':
      return { ...next, revision: event.data.revision };
    default: {
      const unreachable: never = event;
      throw new Error(`unknown kill-switch event ${String(unreachable)}`);
    }
  }
}

export function evolveAll(state: KillSetState, events: readonly KillSwitchEvent[]): KillSetState {
  return events.reduce(evolve, state);
}

function rememberCommand(state: KillSetState, commandId: string): KillSetState {
  const ids = state.handledCommandIds;
  if (ids[ids.length - 1] === commandId) return state;
  const kept = ids.length >= IDEMPOTENCY_WINDOW ? ids.slice(ids.length - IDEMPOTENCY_WINDOW + 1) : ids;
  return { ...state, handledCommandIds: [...kept, commandId] };
}
