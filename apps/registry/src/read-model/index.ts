export { RegistryReadModel } from './registry-read-model';
export { REGISTERED, RecentIds, RoutingStatusBook, type VersionState, type VersionStatus } from './routing-status';
