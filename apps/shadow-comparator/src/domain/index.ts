export * from './run';
export * from './scorer';
export * from './compare';
export * from './pairing';
export * from './tally';
export * from './significance';
export * from './gate-limits';
export * from './report';
