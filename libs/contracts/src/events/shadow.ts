import { z } from 'zod';
import { fraction, identifier } from '../primitives';
import { eventSchema } from '../envelope';

export const SHADOW_VERDICTS = ['match', 'acceptable', 'divergent', 'error'] as const;

/** Result of comparing a candidate's shadow output with the baseline's for one request. */
export const ShadowComparisonV1 = eventSchema(
  'shadow.comparison',
  1,
  z.strictObject({
    agent: identifier(),
    baselineVersionId: identifier(),
    candidateVersionId: identifier(),
    requestId: identifier(),
    similarity: fraction(),
    verdict: z.enum(SHADOW_VERDICTS),
  }),
);
