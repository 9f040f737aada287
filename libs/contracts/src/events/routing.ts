import { z } from 'zod';
import { count, fraction, identifier, text } from '../primitives';
import { eventSchema } from '../envelope';

export const ROUTE_STATES = ['stable', 'canary', 'shadow', 'draining', 'disabled'] as const;

export const RouteEntry = z.strictObject({
  versionId: identifier(),
  state: z.enum(ROUTE_STATES),
  weight: fraction().describe('Share of primary traffic (for shadow: share of traffic mirrored).'),
});

export const RoutingTable = z
  .strictObject({
    versions: z.array(RouteEntry),
    fallbackVersionId: identifier(),
  })
  .refine((t) => new Set(t.versions.map((v) => v.versionId)).size === t.versions.length, {
    error: 'must not list a versionId twice',
    path: ['versions'],
  });

/** The authoritative routing table of one agent; latest revision wins (compacted topic). */
export const RoutingDecisionV1 = eventSchema(
  'routing.decision',
  1,
  z.strictObject({
    agent: identifier(),
    revision: count().describe('Monotonically increasing per agent.'),
    table: RoutingTable,
    rolloutId: identifier().nullable().optional(),
    reason: text().optional(),
  }),
);
