import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ASYNCAPI_PATH, buildAsyncApiDocument, messageId, renderAsyncApiYaml } from './asyncapi';
import { EVENT_TYPES, supportedVersions } from './catalog';
import { TOPIC_LIST, dlqTopic } from './topics';
import { parseYaml } from './yaml-reader';

const committed = readFileSync(join(__dirname, '..', '..', '..', ASYNCAPI_PATH), 'utf8');

describe('docs/asyncapi.yaml', () => {
  it('equals freshly generated output (regenerate: npx ts-node --transpile-only scripts/generate-asyncapi.ts)', () => {
    expect(committed).toBe(renderAsyncApiYaml());
  });

  it('reads back (full YAML 1.2 reader) as the document it was generated from', () => {
    expect(parseYaml(committed)).toEqual(JSON.parse(JSON.stringify(buildAsyncApiDocument())));
  });

  it('declares AsyncAPI 3.0', () => {
    expect(committed).toMatch(/^asyncapi: "3\.0\.0"$/m);
  });

  it('describes every event type and version as a message with a payload schema', () => {
    const doc = buildAsyncApiDocument() as any;
    for (const type of EVENT_TYPES) {
      for (const version of supportedVersions(type)) {
        const id = messageId(type, version);
        expect(doc.components.messages[id].name).toBe(type);
        expect(doc.components.schemas[id].properties.type.const).toBe(type);
        expect(committed).toContain(`name: ${type}\n`);
      }
    }
  });

  it('has a channel for every topic and its dead-letter topic', () => {
    const addresses = Object.values((buildAsyncApiDocument() as any).channels).map((c: any) => c.address);
    for (const topic of TOPIC_LIST) {
      expect(addresses).toContain(topic.name);
      expect(addresses).toContain(dlqTopic(topic.name));
    }
  });
});
