/** Jest's global `expect`, looked up when a specification runs: importing @jest/globals would break loading this library outside a test (jest's global setup). */
type Expect = (typeof import('@jest/globals'))['expect'];
const expect: Expect = ((actual: unknown) => (globalThis as unknown as { expect: Expect }).expect(actual)) as Expect;

/** A decider: pure rules over commands, events and the state the events fold to. */
export interface Decider<Command, Event, State> {
  decide(command: Command, state: State): Event[];
  evolve(state: State, event: Event): State;
  initialState(): State;
}

type ErrorClass<E extends Error = Error> = abstract new (...args: never[]) => E;

/**
 * Specifications that read as given/when/then, for any decider (Jest only):
 * `given(events).when(command).then(events) | thenMatches(partials) | thenNothing() | thenThrows(ErrorClass, code?)`,
 * and `history(...commands)` to write a `given` history as the commands that produced it.
 */
export function deciderSpecification<Command, Event, State>(decider: Decider<Command, Event, State>) {
  const evolveAll = (from: State, events: readonly Event[]): State => events.reduce(decider.evolve, from);

  function given(events: Event[]) {
    const state = evolveAll(decider.initialState(), events);
    return {
      state,
      when(command: Command) {
        const run = () => decider.decide(command, state);
        return {
          then(expected: Event[]): Event[] {
            const actual = run();
            expect(actual).toEqual(expected);
            return actual;
          },
          /** Same length and order; each event matches its partial (toMatchObject). */
          thenMatches(expected: unknown[]): Event[] {
            const actual = run();
            expect(actual).toMatchObject(expected);
            return actual;
          },
          thenNothing(): void {
            expect(run()).toEqual([]);
          },
          /** Asserts the refusal and returns the error, for assertions on what it carries. */
          thenThrows<E extends Error>(errorClass: ErrorClass<E>, code?: string): E {
            let thrown: unknown;
            try {
              run();
            } catch (error) {
              thrown = error;
            }
            expect(thrown).toBeInstanceOf(errorClass);
            if (code !== undefined) expect((thrown as { code?: string }).code).toBe(code);
            return thrown as E;
          },
          stateAfter(): State {
            return evolveAll(state, run());
          },
        };
      },
    };
  }

  /** Runs commands through decide/evolve and returns the events: readable `given` histories. */
  function history(...commands: Command[]): Event[] {
    let state = decider.initialState();
    const events: Event[] = [];
    for (const command of commands) {
      const produced = decider.decide(command, state);
      state = evolveAll(state, produced);
      events.push(...produced);
    }
    return events;
  }

  return { given, history };
}
