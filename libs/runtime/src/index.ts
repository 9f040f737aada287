export * from './tokens';
export * from './infrastructure';
export * from './service-root.module';
export * from './service-runner';
