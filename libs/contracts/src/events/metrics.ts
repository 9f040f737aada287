import { z } from 'zod';
import { identifier, numberRecord, timestamp } from '../primitives';
import { eventSchema } from '../envelope';

/**
 * A latency histogram on the wire: log-linear buckets (`log2-7`: each power-of-two octave split in 128 equal
 * sub-buckets; bucket i covers [lowerBound(i), lowerBound(i+1)) as in latency-buckets.ts), sparse as
 * [indexDelta, count, indexDelta, count, …] with increasing indices.
 */
export const LatencyDistribution = z.strictObject({
  scheme: z.literal('log2-7'),
  count: z.int().min(0),
  buckets: z.array(z.number().int().min(0)).refine((b) => b.length % 2 === 0, { error: 'must hold [indexDelta, count] pairs' }),
});

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
      latency: z
        .record(identifier(), LatencyDistribution)
        .optional()
        .describe('versionId → latency distribution (ms), so gates can test the tail instead of comparing two noisy p99s.'),
    })
    .refine((s) => Date.parse(s.windowEnd) >= Date.parse(s.windowStart), {
      error: 'must not be before windowStart',
      path: ['windowEnd'],
    }),
);
