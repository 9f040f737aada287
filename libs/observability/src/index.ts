export * from './json-logger';
export * from './readiness';
export * from './health.controller';
