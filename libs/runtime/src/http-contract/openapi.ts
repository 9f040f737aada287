import type { Role, ServiceName } from '@iris/config';
import { DEFAULT_PORTS } from '@iris/config';
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { ErrorResponseSchema } from './error-shape';

/** Who may call an operation: nobody needs a token (`public`), or a bearer token of at least this role. */
export type ApiAccess = 'public' | Role;

export interface ApiResponse {
  description: string;
  /** Body schema; omitted on an error status, the one error shape. */
  schema?: z.ZodType;
  /** Default application/json. */
  mediaType?: string;
  headers?: Record<string, { description: string; schema: z.ZodType }>;
}

/**
 * One HTTP operation, described once: the document is built from it and the contract test drives it. Statuses every
 * operation of its kind can answer are added by `describeOperation` (400 for a bad parameter or body, 401/403 by
 * access, 413/415 for a body, 503 when it needs a dependency); `responses` lists the rest.
 */
export interface ApiOperation {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  /** OpenAPI path template: `/v1/agents/{agent}/rollout`. */
  path: string;
  operationId: string;
  summary: string;
  description?: string;
  tags?: string[];
  access: ApiAccess;
  pathParams?: Record<string, z.ZodType>;
  query?: Record<string, z.ZodType>;
  headers?: Record<string, z.ZodType>;
  /** Request body: the zod schema that validates it (JSON), plus other media types it may come as. */
  body?: { schema: z.ZodType; required?: boolean; otherMediaTypes?: Record<string, z.ZodType> };
  responses: Record<number, ApiResponse>;
  /** Needs the database or the broker: 503 with Retry-After while one is down (default: every non-public operation). */
  mayBeUnavailable?: boolean;
  deprecated?: boolean;
}

export interface ApiDescription {
  title: string;
  description: string;
  operations: ApiOperation[];
}

const ERROR_REF = { $ref: '#/components/schemas/ErrorResponse' };

/** Shared definitions of a document (recursive schemas such as JSON values), by content-derived name. */
type Components = Record<string, unknown>;

/**
 * A zod schema as JSON Schema 2020-12 (OpenAPI 3.1's dialect); `io: 'input'` for requests, what a client sends.
 * Definitions it needs go to `components`.
 */
export function jsonSchemaOf(schema: z.ZodType, io: 'input' | 'output' = 'input', components: Components = {}): Record<string, unknown> {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any', target: 'draft-2020-12' }) as Record<string, unknown>;
  return hoistDefinitions(rest, components);
}

/**
 * A converted schema's `$defs` (zod emits them for recursive schemas) move to `components.schemas`, named by their
 * content, and its `$ref`s follow: a `#/$defs/…` pointer would otherwise resolve against the document's root.
 */
function hoistDefinitions(schema: Record<string, unknown>, components: Components): Record<string, unknown> {
  const { $defs, ...rest } = schema as { $defs?: Record<string, unknown> };
  if (!$defs) return rest;
  const names = Object.fromEntries(
    Object.entries($defs).map(([name, definition]) => [name, `Def_${createHash('sha256').update(name + JSON.stringify(definition)).digest('hex').slice(0, 10)}`]),
  );
  const rewrite = (value: unknown) => JSON.parse(JSON.stringify(value).replace(/"#\/\$defs\/([^"]+)"/g, (_m, name: string) => JSON.stringify(`#/components/schemas/${names[name]}`)));
  for (const [name, definition] of Object.entries($defs)) components[names[name]] = rewrite(definition);
  return rewrite(rest);
}

const errorResponse = (description: string) => ({ description, content: { 'application/json': { schema: ERROR_REF } } });

function describeResponse(status: number, response: ApiResponse, components: Components) {
  const headers = response.headers && Object.fromEntries(Object.entries(response.headers).map(([name, h]) => [name, { description: h.description, schema: jsonSchemaOf(h.schema, 'output', components) }]));
  if (!response.schema && status >= 400) return { ...errorResponse(response.description), ...(headers && { headers }) };
  const content = response.schema ? { [response.mediaType ?? 'application/json']: { schema: jsonSchemaOf(response.schema, 'output', components) } } : undefined;
  return { description: response.description, ...(headers && { headers }), ...(content && { content }) };
}

const ROLE_RANK: Record<Role, number> = { viewer: 0, operator: 1, admin: 2 };

/** Statuses an operation answers because of what it is, whatever it does. */
function implicitResponses(operation: ApiOperation, maxBodyBytes: number): Record<number, ApiResponse> {
  const responses: Record<number, ApiResponse> = {};
  const hasInput = operation.body || operation.pathParams || operation.query || operation.headers;
  if (hasInput) responses[400] = { description: 'Invalid request: a parameter, header or body field breaks its schema or holds what cannot be stored (NUL, an unpaired surrogate, runaway nesting); `errors[]` names each field.' };
  if (operation.access !== 'public') responses[401] = { description: 'Missing or unknown bearer token.' };
  if (operation.access !== 'public' && ROLE_RANK[operation.access] > ROLE_RANK.viewer) responses[403] = { description: `The token's role is below \`${operation.access}\`.` };
  if (operation.body) {
    responses[413] = { description: `The body is larger than ${maxBodyBytes} bytes.` };
    responses[415] = { description: `The Content-Type is not one of the request body's media types.` };
  }
  if (operation.mayBeUnavailable ?? operation.access !== 'public')
    responses[503] = { description: 'A dependency (database, broker) is unavailable or concurrent writers kept winning; nothing was done. Retry after `Retry-After` seconds.', headers: { 'Retry-After': { description: 'Seconds to wait.', schema: z.int().min(0) } } };
  return responses;
}

const parameters = (where: 'path' | 'query' | 'header', params: Record<string, z.ZodType> | undefined, components: Components) =>
  Object.entries(params ?? {}).map(([name, schema]) => ({
    name,
    in: where,
    required: where === 'path' || !schema.safeParse(undefined).success,
    ...(schema.description && { description: schema.description }),
    schema: jsonSchemaOf(schema, 'input', components),
  }));

/** One operation object of the document; the definitions its schemas share go to `components`. */
export function describeOperation(operation: ApiOperation, maxBodyBytes: number, components: Components = {}) {
  const responses = { ...implicitResponses(operation, maxBodyBytes), ...operation.responses };
  const body = operation.body && {
    required: operation.body.required ?? true,
    content: {
      'application/json': { schema: jsonSchemaOf(operation.body.schema, 'input', components) },
      ...Object.fromEntries(Object.entries(operation.body.otherMediaTypes ?? {}).map(([type, schema]) => [type, { schema: jsonSchemaOf(schema, 'input', components) }])),
    },
  };
  const params = [...parameters('path', operation.pathParams, components), ...parameters('query', operation.query, components), ...parameters('header', operation.headers, components)];
  return {
    operationId: operation.operationId,
    summary: operation.summary,
    ...(operation.description && { description: operation.description }),
    ...(operation.tags && { tags: operation.tags }),
    ...(operation.deprecated && { deprecated: true }),
    security: operation.access === 'public' ? [] : [{ bearer: [] }],
    ...(params.length > 0 && { parameters: params }),
    ...(body && { requestBody: body }),
    responses: Object.fromEntries(
      Object.entries(responses)
        .sort(([a], [b]) => Number(a) - Number(b))
        .map(([status, response]) => [status, describeResponse(Number(status), response, components)]),
    ),
    ...(operation.access !== 'public' && { 'x-iris-role': operation.access }),
  };
}

export interface DocumentOptions {
  service: ServiceName;
  api: ApiDescription;
  maxBodyBytes: number;
  version?: string;
}

/** The OpenAPI 3.1 document of one service: its operations, the shared ones, the error shape and the bearer scheme. */
export function buildOpenApiDocument({ service, api, maxBodyBytes, version = '1.0.0' }: DocumentOptions) {
  const components: Components = {};
  const paths: Record<string, Record<string, unknown>> = {};
  const seen = new Set<string>();
  for (const operation of api.operations) {
    if (seen.has(operation.operationId)) throw new Error(`duplicate operationId ${operation.operationId}`);
    seen.add(operation.operationId);
    paths[operation.path] ??= {};
    if (paths[operation.path][operation.method]) throw new Error(`${operation.method.toUpperCase()} ${operation.path} is described twice`);
    paths[operation.path][operation.method] = describeOperation(operation, maxBodyBytes, components);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: api.title,
      version,
      description: `${api.description}\n\nEvery refusal is answered with the one Iris error shape (\`ErrorResponse\`). Request bodies are JSON of at most ${maxBodyBytes} bytes unless an operation says otherwise.`,
      license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
    },
    servers: [
      { url: '/', description: 'The service that served this document' },
      { url: `http://127.0.0.1:${DEFAULT_PORTS[service]}`, description: `${service} on its default local port` },
    ],
    security: [{ bearer: [] }],
    paths,
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'A token from IRIS_AUTH_TOKENS; its role (viewer < operator < admin) decides what it may do.' } },
      schemas: { ErrorResponse: jsonSchemaOf(ErrorResponseSchema, 'output', components), ...Object.fromEntries(Object.entries(components).sort(([a], [b]) => a.localeCompare(b))) },
    },
    'x-iris-max-body-bytes': maxBodyBytes,
  };
}

export type OpenApiDocument = ReturnType<typeof buildOpenApiDocument>;

