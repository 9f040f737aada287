export * from './config-error';
export * from './env-reader';
export * from './iris-config';
export * from './service-settings';
