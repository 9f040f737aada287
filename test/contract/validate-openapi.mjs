// Validates OpenAPI documents with @seriousme/openapi-schema-validator (ESM-only, hence a script run as a child
// process by test/contract/api-documents.unit.spec.ts). Usage: node validate-openapi.mjs <file.json>...
// Prints one JSON line: [{ file, valid, version, errors, unresolvedRefs }].
import { readFileSync } from 'node:fs';
import { Validator } from '@seriousme/openapi-schema-validator';

const results = [];
for (const file of process.argv.slice(2)) {
  const validator = new Validator();
  const result = await validator.validate(JSON.parse(readFileSync(file, 'utf8')));
  let unresolvedRefs = null;
  if (result.valid) {
    try {
      validator.resolveRefs();
    } catch (error) {
      unresolvedRefs = String(error?.message ?? error);
    }
  }
  results.push({ file, valid: result.valid && unresolvedRefs === null, version: validator.version, errors: result.errors ?? null, unresolvedRefs });
}
process.stdout.write(JSON.stringify(results) + '\n');
