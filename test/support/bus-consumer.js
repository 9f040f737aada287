// A consumer process for crash tests: prints the id of every message it handled, one per line.
// Run: node -r ./scripts/alias-loader.js test/support/bus-consumer.js  (env: KAFKA_BROKERS, TOPIC, GROUP)
const { KafkaMessageBus, silentLogger } = require('@iris/messaging');

const bus = new KafkaMessageBus({ connection: { brokers: process.env.KAFKA_BROKERS.split(','), clientId: 'crash-test' }, logger: silentLogger });
bus
  .subscribe({
    topic: process.env.TOPIC,
    groupId: process.env.GROUP,
    fromBeginning: true,
    maxBatchSize: 100,
    decode: (message) => JSON.parse(message.value.toString()),
    handleBatch: async (messages) => {
      process.stdout.write(messages.map((m) => m.value.id).join('\n') + '\n');
      await new Promise((resolve) => setTimeout(resolve, 20)); // slow enough to be killed mid-stream
    },
  })
  .then(() => process.stdout.write('subscribed\n'));
