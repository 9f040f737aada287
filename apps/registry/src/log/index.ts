export { VERSION_REGISTERED, versionFromStored } from './agent-stream';
export { RegistryLogFollower, type LogFollowerOptions } from './registry-log-follower';
export { RoutingStatusConsumer, decodeRoutingRecord } from './routing-status-consumer';
