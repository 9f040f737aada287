export * from './tokens';
export * from './infrastructure';
export * from './service-root.module';
export * from './service-runner';
export * from './contract-events';
export * from './leader-lock';
export * from './event-log-publisher';
export * from './retry-later.filter';
