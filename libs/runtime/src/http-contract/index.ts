export * from './error-shape';
export * from './http-error.filter';
export * from './openapi';
export * from './service-operations';
export * from './docs.controller';
export * from './schema-param.pipe';
