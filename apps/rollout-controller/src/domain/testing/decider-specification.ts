import type { RolloutCommand } from '../commands';
import { decide } from '../decide';
import type { RolloutEvent } from '../events';
import { evolveAll } from '../evolve';
import { initialState, type RolloutAggregateState } from '../state';

type ErrorClass = abstract new (...args: never[]) => Error;

/** given(events).when(command).then(events) | thenMatches(partials) | thenNothing() | thenThrows(ErrorClass). */
export function given(events: RolloutEvent[]) {
  const state = evolveAll(initialState(), events);
  return {
    state,
    when(command: RolloutCommand) {
      const run = () => decide(command, state);
      return {
        then(expected: RolloutEvent[]): RolloutEvent[] {
          const actual = run();
          expect(actual).toEqual(expected);
          return actual;
        },
        /** Same length and order; each event matches its partial (toMatchObject). */
        thenMatches(expected: unknown[]): RolloutEvent[] {
          const actual = run();
          expect(actual).toMatchObject(expected);
          return actual;
        },
        thenNothing(): void {
          expect(run()).toEqual([]);
        },
        thenThrows(errorClass: ErrorClass, code?: string): void {
          let thrown: unknown;
          try {
            run();
          } catch (error) {
            thrown = error;
          }
          expect(thrown).toBeInstanceOf(errorClass);
          if (code !== undefined) expect((thrown as { code?: string }).code).toBe(code);
        },
        stateAfter(): RolloutAggregateState {
          return evolveAll(state, run());
        },
      };
    },
  };
}

/** Runs commands through decide/evolve and returns the events: readable `given` histories. */
export function history(...commands: RolloutCommand[]): RolloutEvent[] {
  let state = initialState();
  const events: RolloutEvent[] = [];
  for (const command of commands) {
    const produced = decide(command, state);
    state = evolveAll(state, produced);
    events.push(...produced);
  }
  return events;
}
