export * from './auth.errors';
export * from './token-authenticator';
export * from './auth.guard';
export * from './actor.decorator';
