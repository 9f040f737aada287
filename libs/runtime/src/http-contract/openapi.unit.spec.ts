import { z } from 'zod';
import { buildOpenApiDocument, type ApiOperation } from './openapi';

const write: ApiOperation = {
  method: 'put',
  path: '/v1/things/{thing}',
  operationId: 'putThing',
  summary: 'Replace a thing.',
  access: 'operator',
  pathParams: { thing: z.string().min(1).max(8) },
  body: { schema: z.strictObject({ value: z.json() }) },
  responses: { 200: { description: 'Replaced.', schema: z.object({ ok: z.boolean() }) }, 409: { description: 'Conflict.' } },
};
const probe: ApiOperation = { method: 'get', path: '/probe', operationId: 'probe', summary: 'Probe.', access: 'public', responses: { 200: { description: 'Up.', schema: z.string(), mediaType: 'text/plain' } } };

const documentOf = (operations: ApiOperation[]) => buildOpenApiDocument({ service: 'registry', api: { title: 't', description: 'd', operations }, maxBodyBytes: 1_024 });

describe('buildOpenApiDocument', () => {
  it('adds the statuses an operation answers by its kind, each error with the one error shape', () => {
    const operation = documentOf([write, probe]).paths['/v1/things/{thing}'].put as any;
    expect(Object.keys(operation.responses)).toEqual(['200', '400', '401', '403', '409', '413', '415', '503']);
    expect(operation.responses['409'].content['application/json'].schema).toEqual({ $ref: '#/components/schemas/ErrorResponse' });
    expect(operation.responses['413'].description).toContain('1024 bytes');
    expect(operation.security).toEqual([{ bearer: [] }]);
    expect(operation.parameters).toEqual([{ name: 'thing', in: 'path', required: true, schema: { type: 'string', minLength: 1, maxLength: 8 } }]);
    const open = documentOf([probe]).paths['/probe'].get as any;
    expect(Object.keys(open.responses)).toEqual(['200']);
    expect(open.security).toEqual([]);
  });

  it('moves the $defs of recursive schemas to components, so every $ref resolves from the document root', () => {
    const document = documentOf([write]);
    const text = JSON.stringify(document);
    expect(text).not.toContain('#/$defs/');
    for (const [, name] of text.matchAll(/"#\/components\/schemas\/([^"]+)"/g)) expect(document.components.schemas).toHaveProperty([name]);
  });

  it('refuses an operation described twice', () => {
    expect(() => documentOf([write, { ...write, operationId: 'other' }])).toThrow('PUT /v1/things/{thing} is described twice');
    expect(() => documentOf([write, { ...probe, operationId: 'putThing' }])).toThrow('duplicate operationId putThing');
  });
});
