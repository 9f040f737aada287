import { z } from 'zod';
import { identifier, numberRecord, timestamp } from '../primitives';
import { eventSchema } from '../envelope';

/** Aggregated figures for one agent over a time window. */
export const MetricsSnapshotV1 = eventSchema(
  'metrics.snapshot',
  1,
  z
    .strictObject({
      agent: identifier(),
      windowStart: timestamp(),
      windowEnd: timestamp(),
      versions: z
        .record(identifier(), numberRecord())
        .describe('versionId → named figures (requests, errorRate, p95LatencyMs, costUsd, …).'),
      view: z
        .enum(['window', 'rolling'])
        .default('window')
        .describe('`window`: one tumbling window; `rolling`: the last 1, 5 or 15 minutes of closed windows, ending at windowEnd.'),
      role: z.enum(['primary', 'shadow']).default('primary').describe('Primary traffic or shadow (mirrored) results; never mixed.'),
      tenants: z
        .record(identifier(), z.record(identifier(), numberRecord()))
        .optional()
        .describe('versionId → tenant → named figures, for per-tenant gates.'),
    })
    .refine((s) => Date.parse(s.windowEnd) >= Date.parse(s.windowStart), {
      error: 'must not be before windowStart',
      path: ['windowEnd'],
    }),
);
