export * from './test-database';
export * from './kafka-broker';
export * from './unique';
export * from './decider-specification';
