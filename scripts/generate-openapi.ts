/**
 * Writes docs/openapi/<service>.json for every service. Run by `npm run build` (from dist/, where `@iris/*` resolve);
 * a unit test fails when a committed document drifts from the code.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { openApiPath, renderOpenApi, SERVICES } from './openapi-documents';

const root = resolve(__dirname, basename(resolve(__dirname, '..')) === 'dist' ? '../..' : '..');
for (const service of SERVICES) {
  const target = join(root, openApiPath(service.name));
  mkdirSync(dirname(target), { recursive: true });
  writeFileSync(target, renderOpenApi(service));
  console.log(`wrote ${openApiPath(service.name)}`);
}
