import '../libs/agent-sim/src/source-aliases';
import { encodeTelemetryRecord } from '../libs/agent-sdk/src/telemetry-encoder';
import { PendingRecord } from '../libs/agent-sdk/src/telemetry-input';
const input = (i: number) => ({ sessionId: `bench-session-${i % 997}`, tenant: 'acme', requestId: `bench-request-${i}`, feature: 'chat', latencyMs: 100 + (i % 900), tokensIn: 500, tokensOut: 200, costUsd: 0.01, toolCalls: [{ name: 'search', argsHash: 'h1', ok: true, latencyMs: 12 }], outputDigest: 'sha256:0f0e0d', scores: { accuracy: 0.9 } });
const recs = Array.from({ length: 4096 }, (_, i) => new PendingRecord('agent.request.completed', 'a7c1d2e3-1111-4222-8333-4444' + (i + 0x10000000).toString(16), Date.now(), input(i)));
const src = { agent: 'bench-agent', versionId: 'v1', environment: 'production' };
const r = encodeTelemetryRecord(recs[0], src) as any; console.log(r.message.value.length, r.message.value, r.message.key);
const raw = JSON.stringify({ ...input(0), padding: 'x'.repeat(330) }); console.log('raw', raw.length);
for (let k = 0; k < 3; k++) { const t = process.hrtime.bigint(); for (let i = 0; i < 200000; i++) encodeTelemetryRecord(recs[i & 4095], src); console.log('enc us', Number(process.hrtime.bigint() - t) / 1e3 / 200000); }
import { validateEvent } from '../libs/contracts/src';
import { buildTelemetryEvent } from '../libs/agent-sdk/src/telemetry-encoder';
const ev = buildTelemetryEvent(recs[0], src);
for (let k = 0; k < 3; k++) { let t = process.hrtime.bigint(); for (let i = 0; i < 200000; i++) validateEvent(ev); console.log('validate us', Number(process.hrtime.bigint() - t) / 1e3 / 200000);
 t = process.hrtime.bigint(); for (let i = 0; i < 200000; i++) JSON.stringify(ev); console.log('stringify us', Number(process.hrtime.bigint() - t) / 1e3 / 200000); }
const plain = JSON.parse(JSON.stringify(ev));
const t0 = (n: string, f: () => void) => { const t = process.hrtime.bigint(); for (let i = 0; i < 200000; i++) f(); console.log(n, 'us', Number(process.hrtime.bigint() - t) / 1e3 / 200000); };
for (let k = 0; k < 3; k++) { t0('stringify-plain', () => JSON.stringify(plain)); t0('stringify-ev', () => JSON.stringify(ev)); t0('build', () => buildTelemetryEvent(recs[k], src)); t0('validate-plain', () => validateEvent(plain)); t0('stringify-data', () => JSON.stringify(ev.data)); t0('iso', () => new Date(1700000000000).toISOString()); }
const hfp = new Function('o', 'return %HasFastProperties(o)'); console.log(hfp(ev), hfp(ev.data), hfp(plain.data), Object.getPrototypeOf(ev)===Object.prototype);
