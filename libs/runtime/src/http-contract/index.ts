export * from './error-shape';
export * from './http-error.filter';
