/** Injection tokens for what every Iris service gets from its runtime. */
export const IRIS_CONFIG = Symbol('IRIS_CONFIG');
export const MESSAGE_BUS = Symbol('MESSAGE_BUS');
export const EVENT_STORE = Symbol('EVENT_STORE');
/** The bus's ConsumerHealth: partitions waiting out outages, dead letters written (readiness, metrics). */
export const CONSUMER_HEALTH = Symbol('CONSUMER_HEALTH');
