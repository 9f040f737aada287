import { z } from 'zod';
import { identifier, text } from '../primitives';
import { eventSchema } from '../envelope';

const digest = () => z.string().regex(/^sha256:[0-9a-f]{64}$/, { error: 'must be sha256:<64 hex>' });
const BUMPS = ['major', 'minor', 'patch', 'none'] as const;

/**
 * A new agent version became known to the registry. Carries the whole immutable tuple so that
 * any consumer (rollout controller, SDK routing) can rebuild the registry from the log alone.
 */
export const RegistryVersionRegisteredV1 = eventSchema(
  'registry.version.registered',
  1,
  z.strictObject({
    agent: identifier(),
    versionId: identifier().describe('Content-hash id: sha256:<32 hex> of the canonical tuple.'),
    label: identifier().describe('Semantic version label, unique per agent, e.g. 2.4.0.'),
    digest: digest().describe('Full sha256 digest over the layer digests.'),
    layers: z.record(z.string().min(1).max(64), digest()).describe('One digest per layer (code, model, prompt, tools, policies).'),
    spec: z.record(z.string(), z.unknown()).describe('The validated tuple: code, endpoint?, model, prompt, tools, policies.'),
    model: identifier().describe('provider/name, for display.'),
    endpoint: z.url().optional(),
    previousVersionId: identifier().nullable().describe('The agent\'s latest version before this one (the semver diff base).'),
    bump: z.enum(BUMPS).describe('Smallest bump the diff required over the previous version.'),
    bumpReasons: z.array(text(512)).default([]),
    registeredBy: identifier(),
    notes: text().optional(),
    labels: z.record(z.string().min(1).max(128), z.string().max(256)).optional(),
  }),
);
