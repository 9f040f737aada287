import 'reflect-metadata';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Parser, DiagnosticSeverity } from '@asyncapi/parser';
import { RequestMethod } from '@nestjs/common';
import { PUBLIC_ROUTE, REQUIRED_ROLE } from '@iris/auth';
import { ASYNCAPI_PATH } from '@iris/contracts';
import { HealthController } from '@iris/observability';
import { ApiDocsController, ServiceInfoController } from '@iris/runtime';
import { openApiPath, renderOpenApi, SERVICES } from '../../scripts/openapi-documents';

const ROOT = resolve(__dirname, '../..');
const files = SERVICES.map((service) => join(ROOT, openApiPath(service.name)));

/** @seriousme/openapi-schema-validator is ESM-only: it runs in a child process (validate-openapi.mjs). */
function validateWithSeriousme(paths: string[]): Array<{ file: string; valid: boolean; version: string; errors: unknown; unresolvedRefs: string | null }> {
  const output = execFileSync(process.execPath, [join(__dirname, 'validate-openapi.mjs'), ...paths], { cwd: ROOT, encoding: 'utf8' });
  return JSON.parse(output);
}

describe('OpenAPI documents (docs/openapi/<service>.json)', () => {
  it.each(SERVICES.map((s) => [s.name, s] as const))('%s: the committed document equals the generated one (regenerate: npm run build)', (_name, service) => {
    expect(readFileSync(join(ROOT, openApiPath(service.name)), 'utf8')).toBe(renderOpenApi(service));
  });

  it('are valid OpenAPI 3.1 with every $ref resolved (@seriousme/openapi-schema-validator)', () => {
    const results = validateWithSeriousme(files);
    for (const result of results) if (!result.valid) process.stderr.write(`${result.file}: ${JSON.stringify(result.errors ?? result.unresolvedRefs, null, 2)}\n`);
    expect(results.map((r) => [r.file, r.valid, r.version])).toEqual(files.map((file) => [file, true, '3.1']));
  });

  it('the validator does refuse a broken document (the check can fail)', () => {
    const broken = JSON.parse(readFileSync(files[0], 'utf8'));
    delete broken.paths['/v1/info'].get.responses['200'].description;
    const target = join(require('node:os').tmpdir(), `iris-broken-openapi-${process.pid}.json`);
    require('node:fs').writeFileSync(target, JSON.stringify(broken));
    expect(validateWithSeriousme([target])[0].valid).toBe(false);
  });
});

describe('docs/asyncapi.yaml (@asyncapi/parser)', () => {
  it('parses without errors (warnings are printed)', async () => {
    const { document, diagnostics } = await new Parser().parse(readFileSync(join(ROOT, ASYNCAPI_PATH), 'utf8'));
    const errors = diagnostics.filter((d) => d.severity === DiagnosticSeverity.Error);
    const warnings = diagnostics.filter((d) => d.severity !== DiagnosticSeverity.Error);
    if (warnings.length > 0) process.stdout.write(`asyncapi warnings:\n${warnings.map((w) => `  ${DiagnosticSeverity[w.severity]} ${w.code}: ${w.message} at ${w.path.join('.')}`).join('\n')}\n`);
    expect(errors.map((e) => `${e.code}: ${e.message} at ${e.path.join('.')}`)).toEqual([]);
    expect(document).toBeDefined();
  }, 60_000);
});

/** The routes Nest serves for a service: its module's controllers and the runtime's, with the role each requires. */
function servedRoutes(module: object) {
  const controllers = [...((Reflect.getMetadata('controllers', module) as Array<new () => unknown>) ?? []), HealthController, ServiceInfoController, ApiDocsController];
  const routes: Array<{ method: string; path: string; access: string }> = [];
  for (const controller of controllers) {
    const prefixes = [Reflect.getMetadata('path', controller) as string | string[]].flat();
    for (const name of Object.getOwnPropertyNames(controller.prototype)) {
      const handler = controller.prototype[name];
      if (name === 'constructor' || typeof handler !== 'function' || Reflect.getMetadata('method', handler) === undefined) continue;
      const method = RequestMethod[Reflect.getMetadata('method', handler) as number].toLowerCase();
      const isPublic = Reflect.getMetadata(PUBLIC_ROUTE, handler) ?? Reflect.getMetadata(PUBLIC_ROUTE, controller);
      const access = isPublic ? 'public' : (Reflect.getMetadata(REQUIRED_ROLE, handler) ?? Reflect.getMetadata(REQUIRED_ROLE, controller) ?? 'viewer');
      for (const prefix of prefixes)
        for (const sub of [Reflect.getMetadata('path', handler) as string | string[]].flat()) {
          const path = `/${[prefix, sub].filter((p) => p && p !== '/').join('/')}`.replace(/\/+/g, '/').replace(/:(\w+)/g, '{$1}');
          routes.push({ method, path, access });
        }
    }
  }
  return routes;
}

/** `/v1/agents/{agent}/rollout/{action}` serves the documented `/v1/agents/{agent}/rollout/pause`: a route parameter matches any segment. */
const serves = (route: string, documented: string) => {
  const [r, d] = [route.split('/'), documented.split('/')];
  return r.length === d.length && r.every((segment, i) => segment === d[i] || segment.startsWith('{'));
};

describe('every route a service serves is documented, with the access it enforces', () => {
  it.each(SERVICES.map((s) => [s.name, s] as const))('%s', (_name, service) => {
    const document = JSON.parse(renderOpenApi(service));
    const documented = Object.entries(document.paths as Record<string, Record<string, { 'x-iris-role'?: string; security: unknown[] }>>).flatMap(([path, operations]) =>
      Object.entries(operations).map(([method, operation]) => ({ method, path, access: operation['x-iris-role'] ?? (operation.security.length === 0 ? 'public' : '?') })),
    );
    const routes = servedRoutes(service.module);
    const undocumented = routes.filter((route) => !documented.some((op) => op.method === route.method && serves(route.path, op.path)));
    const unserved = documented.filter((op) => !routes.some((route) => op.method === route.method && serves(route.path, op.path)));
    const wrongAccess = documented.flatMap((op) => {
      const route = routes.find((r) => r.method === op.method && serves(r.path, op.path))!;
      return route && route.access !== op.access ? [`${op.method} ${op.path}: documented ${op.access}, enforced ${route.access}`] : [];
    });
    expect({ undocumented, unserved, wrongAccess }).toEqual({ undocumented: [], unserved: [], wrongAccess: [] });
  });
});
