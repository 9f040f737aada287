// Placeholder: replaced by the real launcher (KRaft broker from Maven Central jars).
export interface RunningKafkaBroker {
  brokers: string;
  stop(): Promise<void>;
}
export async function startKafkaBroker(): Promise<RunningKafkaBroker> {
  throw new Error('startKafkaBroker not implemented yet: set KAFKA_BROKERS');
}
