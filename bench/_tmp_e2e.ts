import { measureEndToEnd, measureRawKafkajs } from './agent-sdk.bench';
(async () => {
  const b = Number(process.env.BENCH_BATCH ?? 2000);
  if (process.env.MODE !== 'raw') console.log('sdk', JSON.stringify(await measureEndToEnd('127.0.0.1:19092', 300000, b)));
  if (process.env.MODE !== 'sdk') console.log('raw', JSON.stringify(await measureRawKafkajs('127.0.0.1:19092', 300000, b)));
})();
