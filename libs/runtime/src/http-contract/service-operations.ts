import { z } from 'zod';
import type { ApiOperation } from './openapi';

/** `/v1/info`, `/v1/config`, the health probes and the documents themselves: every service serves them (libs/runtime). */

const ReadinessSchema = z.object({
  ready: z.boolean(),
  checks: z.record(z.string(), z.object({ ok: z.boolean(), error: z.string().optional() })).describe('One entry per dependency (kafka, database, outbox, …).'),
});

export const SERVICE_OPERATIONS: readonly ApiOperation[] = [
  {
    method: 'get',
    path: '/v1/info',
    operationId: 'getServiceInfo',
    summary: 'What this service is (name, environment, mode) and who you are.',
    tags: ['service'],
    access: 'viewer',
    mayBeUnavailable: false,
    responses: {
      200: {
        description: 'The service and the caller.',
        schema: z.object({
          service: z.string(),
          environment: z.string(),
          mode: z.enum(['kafka', 'embedded']),
          actor: z.object({ name: z.string(), role: z.enum(['viewer', 'operator', 'admin']) }),
        }),
      },
    },
  },
  {
    method: 'get',
    path: '/v1/config',
    operationId: 'getEffectiveConfig',
    summary: 'The effective configuration, secrets masked.',
    tags: ['service'],
    access: 'admin',
    mayBeUnavailable: false,
    responses: { 200: { description: 'The typed configuration read at start-up.', schema: z.record(z.string(), z.unknown()) } },
  },
  {
    method: 'get',
    path: '/health/live',
    operationId: 'getLiveness',
    summary: 'The process answers.',
    tags: ['health'],
    access: 'public',
    responses: { 200: { description: 'Alive.', schema: z.object({ status: z.literal('ok') }) } },
  },
  {
    method: 'get',
    path: '/health/ready',
    operationId: 'getReadiness',
    summary: 'Its Kafka and database connections (and the outbox relay) are up.',
    tags: ['health'],
    access: 'public',
    responses: {
      200: { description: 'Ready: every check passed.', schema: ReadinessSchema },
      503: { description: 'Not ready: the failed checks say why.', schema: ReadinessSchema },
    },
  },
  {
    method: 'get',
    path: '/docs',
    operationId: 'getOpenApiDocument',
    summary: 'This document (OpenAPI 3.1).',
    tags: ['docs'],
    access: 'public',
    responses: { 200: { description: 'The OpenAPI document of this service.', schema: z.looseObject({ openapi: z.string(), info: z.looseObject({}), paths: z.looseObject({}) }) } },
  },
  {
    method: 'get',
    path: '/docs/ui',
    operationId: 'getApiReference',
    summary: 'This document rendered as an API reference (Scalar, served from this service: no CDN).',
    tags: ['docs'],
    access: 'public',
    responses: { 200: { description: 'An HTML page.', mediaType: 'text/html', schema: z.string() } },
  },
  {
    method: 'get',
    path: '/docs/ui/standalone.js',
    operationId: 'getApiReferenceScript',
    summary: 'The API reference\'s script (@scalar/api-reference, standalone bundle).',
    tags: ['docs'],
    access: 'public',
    responses: { 200: { description: 'JavaScript.', mediaType: 'text/javascript', schema: z.string() }, 404: { description: '@scalar/api-reference is not installed.' } },
  },
];
