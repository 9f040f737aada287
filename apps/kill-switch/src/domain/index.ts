export * from './commands';
export * from './events';
export * from './state';
export * from './errors';
export * from './types';
export { decide } from './decide';
export { evolve, evolveAll } from './evolve';
export * from './routability';
export * from './decider';
