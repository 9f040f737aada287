/**
 * Runs a local single-node Kafka broker (no Docker) in the foreground until Ctrl-C / SIGTERM.
 * Usage: npm run kafka   → prints KAFKA_BROKERS=127.0.0.1:<port>
 */
import { startKafkaBroker } from '../libs/testing/src/kafka-broker';

async function main(): Promise<void> {
  const startedAt = Date.now();
  const broker = await startKafkaBroker({ log: (line) => console.error(line) });
  console.error(`kafka broker started in ${((Date.now() - startedAt) / 1000).toFixed(1)} s; Ctrl-C to stop`);
  console.log(`KAFKA_BROKERS=${broker.brokers}`);

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.error(`${signal}: stopping kafka broker…`);
    broker.stop().then(
      () => process.exit(0),
      (error) => {
        console.error(error);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  setInterval(() => undefined, 1 << 30); // keep the event loop alive
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
