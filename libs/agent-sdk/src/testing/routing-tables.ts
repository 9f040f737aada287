import { createEvent, EventDataInput, EventOf } from '@iris/contracts';
import type { RoutingDecisionData } from '../routing/compiled-table';

type DecisionInput = EventDataInput<'routing.decision'>;
type TableInput = DecisionInput['table'];
type VersionInput = TableInput['versions'][number];

/** A version entry: state active, existing sessions kept, unless told otherwise. */
export function version(versionId: string, newSessionWeight: number, patch: Partial<VersionInput> = {}): VersionInput {
  return { versionId, state: 'active', newSessionWeight, existingSessions: 'keep', endpoint: `http://${versionId}.agents.test:8080/`, ...patch };
}

type TableSketch = Partial<TableInput> & Pick<TableInput, 'versions'>;

/** A validated routing.decision event (defaults applied), like the one the subscriber receives. */
export function routingEvent(agent: string, revision: number, table: TableSketch, extra: Partial<DecisionInput> = {}): EventOf<'routing.decision'> {
  return createEvent('routing.decision', {
    agent,
    revision,
    table: { fallbackVersionId: table.versions[0]?.versionId ?? 'none', ...table },
    ...extra,
  });
}

/** The payload of routingEvent(). */
export function routingDecision(agent: string, revision: number, table: TableSketch, extra: Partial<DecisionInput> = {}): RoutingDecisionData {
  return routingEvent(agent, revision, table, extra).data;
}

/** `count` session ids of one shape (deterministic). */
export function sessionIds(count: number, prefix = 'session'): string[] {
  return Array.from({ length: count }, (_, i) => `${prefix}-${i}`);
}

export const iso = (ms: number) => new Date(ms).toISOString();
