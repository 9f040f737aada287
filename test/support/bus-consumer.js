// A consumer process for crash tests. Prints, for every handler batch, one line `batch <partition> <count>` and then
// one line `<partition> <offset> <id>` per message it handled.
// Run: node -r ./scripts/alias-loader.js test/support/bus-consumer.js
// (env: KAFKA_BROKERS, TOPIC, GROUP; MAX_BYTES_PER_PARTITION bounds one fetch, default kafkajs's 1 MiB)
const { KafkaMessageBus, silentLogger } = require('@iris/messaging');

const maxBytesPerPartition = process.env.MAX_BYTES_PER_PARTITION ? Number(process.env.MAX_BYTES_PER_PARTITION) : undefined;
const bus = new KafkaMessageBus({ connection: { brokers: process.env.KAFKA_BROKERS.split(','), clientId: 'crash-test' }, logger: silentLogger, consumer: { maxBytesPerPartition } });
bus
  .subscribe({
    topic: process.env.TOPIC,
    groupId: process.env.GROUP,
    fromBeginning: true,
    maxBatchSize: 100,
    decode: (message) => JSON.parse(message.value.toString()),
    handleBatch: async (messages) => {
      const lines = [`batch ${messages[0].partition} ${messages.length}`, ...messages.map((m) => `${m.partition} ${m.offset} ${m.value.id}`)];
      process.stdout.write(lines.join('\n') + '\n');
      await new Promise((resolve) => setTimeout(resolve, 20)); // slow enough to be killed mid-stream
    },
  })
  .then(() => process.stdout.write('subscribed\n'));
