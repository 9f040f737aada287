// Resolves `@iris/<lib>` imports to the compiled libraries in dist/ at run time
// (TypeScript's `paths` only exist at compile time). Use: node -r ./scripts/alias-loader.js dist/...
const Module = require('module');
const path = require('path');

const distLibs = path.resolve(__dirname, '..', 'dist', 'libs');
const originalResolve = Module._resolveFilename;

Module._resolveFilename = function resolveIrisAlias(request, ...rest) {
  if (request.startsWith('@iris/')) {
    const [, lib, ...subpath] = request.split('/');
    request = path.join(distLibs, lib, 'src', ...subpath);
  }
  return originalResolve.call(this, request, ...rest);
};
