import { z } from 'zod';

/** Reusable field schemas shared by envelope and payloads. */

/** Identifiers (agent, versionId, sessionId, tenant, …): non-empty, bounded. */
export const identifier = () => z.string().min(1).max(256);

/** Free text meant for humans (reasons, messages). */
export const text = (max = 4096) => z.string().max(max);

/** ISO-8601 timestamp that carries a timezone (`Z` or `±hh:mm`). */
export const timestamp = () => z.iso.datetime({ offset: true });

/** Lowercase slug: `production`, `eu-staging`, `tool_call.failed`. */
export const SLUG_PATTERN = /^[a-z0-9](?:[a-z0-9._-]{0,62}[a-z0-9])?$/;
export const slug = () =>
  z.string().regex(SLUG_PATTERN, { error: 'must be a lowercase slug (a-z, 0-9, ".", "_", "-")' });

/** Finite number ≥ 0 (durations, costs). zod 4 numbers already reject NaN and ±Infinity. */
export const nonNegative = () => z.number().min(0);

/** Integer ≥ 0 (token counts, revisions). */
export const count = () => z.int().min(0);

/** Fraction in [0, 1] (weights, similarities). */
export const fraction = () => z.number().min(0).max(1);

/** Open-ended map of named finite numbers (metrics, evaluator scores). */
export const numberRecord = () => z.record(z.string().min(1).max(128), z.number());

/**
 * Agent names, one definition for the registry, the HTTP paths of every service and the OpenAPI documents: a lowercase
 * slug of 1-128 characters (a-z, 0-9, ".", "_", "-"), starting and ending with a letter or digit.
 */
export const AGENT_NAME_PATTERN = /^[a-z0-9](?:[a-z0-9._-]{0,126}[a-z0-9])?$/;
export const agentName = () =>
  z.string().min(1).max(128).regex(AGENT_NAME_PATTERN, { error: 'must be a lowercase slug of 1-128 characters (a-z, 0-9, ".", "_", "-")' }).describe('Agent name: a lowercase slug of 1-128 characters (a-z, 0-9, ".", "_", "-").');
