import { agentName, identifier } from '@iris/contracts';
import type { ApiDescription } from '@iris/runtime';
import { z } from 'zod';
import { agentVersionSchema, GIT_SHA_PATTERN } from '../domain';
import { YAML_MEDIA_TYPES } from './request-body';

/** The registry's API, described once: the document and the contract test come from it. */

export const AgentParam = agentName();
/** A version id (`sha256:…`), a label (`1.2.0`, `v1.2.0`) or `latest`. */
export const RefParam = identifier().describe('A version id, a label (`1.2.0` or `v1.2.0`) or `latest`.');

/** The JSON body of a registration: the tuple (validated by agentVersionSchema) plus notes and labels. */
export const RegistrationBodySchema = z.strictObject({
  ...agentVersionSchema.shape,
  notes: z.string().max(4096).optional(),
  labels: z.record(z.string().min(1).max(128), z.string().max(256)).optional(),
});

const digest = z.string();
const bump = z.enum(['major', 'minor', 'patch', 'none']);
const status = z.looseObject({ state: z.string() }).describe('From the routing decisions: registered, shadow, canary, active, draining, retired, …');

const VersionSummarySchema = z.object({
  versionId: z.string(),
  label: z.string(),
  digest,
  model: z.string(),
  endpoint: z.string().nullable(),
  bump,
  previousVersionId: z.string().nullable(),
  registeredAt: z.string(),
  registeredBy: z.string(),
  status,
});

const VersionDetailSchema = VersionSummarySchema.extend({
  agent: z.string(),
  layers: z.record(z.string(), digest),
  bumpReasons: z.array(z.string()),
  notes: z.string().nullable(),
  labels: z.record(z.string(), z.string()),
  spec: z.looseObject({ code: z.looseObject({}), model: z.looseObject({}), prompt: z.looseObject({}), tools: z.array(z.unknown()), policies: z.looseObject({}) }),
});

const RegistrationSchema = z.object({
  created: z.boolean(),
  agent: z.string(),
  versionId: z.string(),
  label: z.string(),
  digest,
  layers: z.record(z.string(), digest),
  bump,
  bumpReasons: z.array(z.string()),
  previousVersionId: z.string().nullable(),
  registeredAt: z.string(),
  registeredBy: z.string(),
});

const notFound = { description: 'No such agent (`AGENT_NOT_FOUND`) or version (`VERSION_NOT_FOUND`).' };
const ref = (name: string) => ({ agent: AgentParam, [name]: RefParam });

export const REGISTRY_API: ApiDescription = {
  title: 'Iris registry',
  description: 'Agent versions (code ref × model × prompt × tools × policies): content-hash ids, semver labels from the diff, per-layer diffs, YAML config files.',
  operations: [
    {
      method: 'get',
      path: '/v1/agents',
      operationId: 'listAgents',
      summary: 'Every agent with its number of versions and its latest version.',
      tags: ['agents'],
      access: 'viewer',
      responses: {
        200: {
          description: 'Agents.',
          schema: z.object({ agents: z.array(z.object({ agent: z.string(), versions: z.int().min(1), latest: z.object({ versionId: z.string(), label: z.string(), registeredAt: z.string() }) })) }),
        },
      },
    },
    {
      method: 'post',
      path: '/v1/agents/{agent}/versions',
      operationId: 'registerVersion',
      summary: 'Register a version: the JSON tuple (+ notes, labels) or its YAML config file.',
      description: 'Registering the same content again returns the same version (200). A YAML file without `code.ref` takes `?codeRef=`. The version must fit one Kafka message (1 MiB).',
      tags: ['versions'],
      access: 'operator',
      pathParams: { agent: AgentParam },
      query: { codeRef: z.string().regex(GIT_SHA_PATTERN).optional().describe('The code ref of a YAML file that has none (a full git commit SHA).') },
      body: { schema: RegistrationBodySchema, otherMediaTypes: Object.fromEntries(YAML_MEDIA_TYPES.map((type) => [type, z.string().describe('An agents/<agent>/<version>.yaml config file.')])) },
      responses: {
        200: { description: 'Already registered: the same content, the same version.', schema: RegistrationSchema },
        201: { description: 'Registered.', schema: RegistrationSchema },
        409: { description: 'The label belongs to another version (`LABEL_TAKEN`, `conflictingVersion`), or the content is registered under another label (`ALREADY_REGISTERED_AS`).' },
        413: { description: 'The body, or the version as a Kafka message, is larger than 1 MiB (`PAYLOAD_TOO_LARGE`, `TOO_LARGE`).' },
        422: { description: 'The label moves less than the diff requires (`BUMP_TOO_SMALL`, `reasons`) or is not greater than the latest (`LABEL_NOT_GREATER`).' },
      },
    },
    {
      method: 'get',
      path: '/v1/agents/{agent}/versions',
      operationId: 'listVersions',
      summary: 'An agent\'s versions in registration order, with their status.',
      tags: ['versions'],
      access: 'viewer',
      pathParams: { agent: AgentParam },
      responses: { 200: { description: 'Versions.', schema: z.object({ agent: z.string(), versions: z.array(VersionSummarySchema) }) }, 404: notFound },
    },
    {
      method: 'get',
      path: '/v1/agents/{agent}/versions/{ref}',
      operationId: 'getVersion',
      summary: 'One version: full tuple, hashes, bump and reasons, notes, labels, status.',
      tags: ['versions'],
      access: 'viewer',
      pathParams: ref('ref'),
      responses: { 200: { description: 'The version.', schema: VersionDetailSchema }, 404: notFound },
    },
    {
      method: 'get',
      path: '/v1/agents/{agent}/versions/{ref}/yaml',
      operationId: 'getVersionYaml',
      summary: 'The version as a config file.',
      tags: ['versions'],
      access: 'viewer',
      pathParams: ref('ref'),
      responses: { 200: { description: 'agents/<agent>/<label>.yaml', mediaType: 'application/yaml', schema: z.string() }, 404: notFound },
    },
    {
      method: 'get',
      path: '/v1/agents/{agent}/versions/{a}/diff/{b}',
      operationId: 'diffVersions',
      summary: 'Layer-by-layer diff from `a` to `b`, with the bump it requires.',
      tags: ['versions'],
      access: 'viewer',
      pathParams: { agent: AgentParam, a: RefParam, b: RefParam },
      responses: {
        200: {
          description: 'The diff.',
          schema: z.object({
            agent: z.string(),
            from: z.object({ versionId: z.string(), label: z.string() }),
            to: z.object({ versionId: z.string(), label: z.string() }),
            requiredBump: z.looseObject({}),
            diff: z.looseObject({}),
          }),
        },
        404: notFound,
      },
    },
  ],
};
