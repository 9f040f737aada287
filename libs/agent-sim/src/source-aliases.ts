/**
 * Lets `ts-node` scripts (the CLI, benchmarks) resolve `@iris/<lib>` to the TypeScript sources in libs/,
 * as tsconfig `paths` do at compile time. Import it before anything that imports `@iris/*`.
 * No effect where the alias already resolves (jest moduleNameMapper, scripts/alias-loader.js).
 */
import Module = require('node:module');
import { join } from 'node:path';

type ResolveFilename = (request: string, ...rest: unknown[]) => string;
const moduleInternals = Module as unknown as { _resolveFilename: ResolveFilename };
const libsDir = join(__dirname, '..', '..');
const original = moduleInternals._resolveFilename;

moduleInternals._resolveFilename = function resolveIrisSource(request: string, ...rest: unknown[]): string {
  try {
    return original.call(this, request, ...rest);
  } catch (error) {
    if (!request.startsWith('@iris/')) throw error;
    const [, lib, ...subpath] = request.split('/');
    return original.call(this, join(libsDir, lib, 'src', ...subpath), ...rest);
  }
};
