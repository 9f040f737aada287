/**
 * Decode throughput of agent.request.completed (JSON.parse + compiled zod parse).
 * Run: npx ts-node --transpile-only bench/contracts.bench.ts
 */
import { EXAMPLES, decodeMessage, encodeMessage } from '../libs/contracts/src';

export interface DecodeBenchResult {
  decodesPerSecond: number;
  messageBytes: number;
}

export function runContractsBench(durationMs = 2_000): DecodeBenchResult {
  const message = encodeMessage(EXAMPLES['agent.request.completed']);
  for (let i = 0; i < 20_000; i++) decodeMessage(message); // warm up (JIT, compiled schema)
  let decodes = 0;
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(durationMs) * 1_000_000n;
  let now = start;
  while (now < deadline) {
    for (let i = 0; i < 1_000; i++) decodeMessage(message);
    decodes += 1_000;
    now = process.hrtime.bigint();
  }
  const seconds = Number(now - start) / 1e9;
  return { decodesPerSecond: Math.round(decodes / seconds), messageBytes: message.length };
}

if (require.main === module) {
  const { decodesPerSecond, messageBytes } = runContractsBench();
  console.log(`contracts: decodeMessage(agent.request.completed, ${messageBytes} B): ${decodesPerSecond.toLocaleString('en-US')} decodes/s`);
}
