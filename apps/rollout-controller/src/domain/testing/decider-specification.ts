import { deciderSpecification } from '@iris/testing';
import type { RolloutCommand } from '../commands';
import { decide } from '../decide';
import type { RolloutEvent } from '../events';
import { evolve } from '../evolve';
import { initialState, type RolloutAggregateState } from '../state';

/** The rollout decider's given/when/then (libs/testing's deciderSpecification). */
export const { given, history } = deciderSpecification<RolloutCommand, RolloutEvent, RolloutAggregateState>({ decide, evolve, initialState });
