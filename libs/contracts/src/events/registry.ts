import { z } from 'zod';
import { identifier, text } from '../primitives';
import { eventSchema } from '../envelope';

/** A new agent version became known to the registry. */
export const RegistryVersionRegisteredV1 = eventSchema(
  'registry.version.registered',
  1,
  z.strictObject({
    agent: identifier(),
    versionId: identifier(),
    label: identifier().describe('Human-facing version label, e.g. 2.3.0 or prompt-v7.'),
    model: identifier().describe('Underlying model identifier.'),
    artifactDigest: identifier().describe('Digest of prompt + config + code that defines the version.'),
    registeredBy: identifier(),
    notes: text().optional(),
    labels: z.record(z.string().min(1).max(128), z.string().max(256)).optional(),
  }),
);
