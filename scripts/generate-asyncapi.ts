/** Writes docs/asyncapi.yaml from the zod contracts: npx ts-node --transpile-only scripts/generate-asyncapi.ts */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ASYNCAPI_PATH, renderAsyncApiYaml } from '../libs/contracts/src/asyncapi';

const target = join(__dirname, '..', ASYNCAPI_PATH);
writeFileSync(target, renderAsyncApiYaml());
console.log(`wrote ${target}`);
