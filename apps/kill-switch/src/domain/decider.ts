import type { KillSwitchCommand } from './commands';
import { decide } from './decide';
import type { KillSwitchEvent } from './events';
import { evolve } from './evolve';
import { initialState, type KillSetState } from './state';

/** The kill set's decider, as the specification helper and the replay property take it. */
export const killSwitchDecider = { decide, evolve, initialState } satisfies {
  decide(command: KillSwitchCommand, state: KillSetState): KillSwitchEvent[];
  evolve(state: KillSetState, event: KillSwitchEvent): KillSetState;
  initialState(): KillSetState;
};
