import { RegistryModule } from './registry.module';
import type { ServiceDefinition } from '@iris/runtime';

export const RegistryService: ServiceDefinition = { name: 'registry', module: RegistryModule };
