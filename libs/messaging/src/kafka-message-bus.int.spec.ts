import { uniqueName } from '@iris/testing';
import { KafkaMessageBus } from './kafka-message-bus';
import { silentLogger } from './logger';
import { describeMessageBusContract } from './testing/message-bus-contract';

const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');

jest.setTimeout(120_000); // the project-level testTimeout in jest.config.js is not applied to hooks

describeMessageBusContract(
  'KafkaMessageBus',
  () => new KafkaMessageBus({ connection: { brokers, clientId: uniqueName('iris-contract') }, logger: silentLogger }),
  { timeoutMs: 60_000 },
);
