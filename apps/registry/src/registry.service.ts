import type { ServiceDefinition } from '@iris/runtime';
import { configureRegistryApp } from './http/configure-app';
import { RegistryModule } from './registry.module';

export const RegistryService: ServiceDefinition = { name: 'registry', module: RegistryModule, configureApp: configureRegistryApp };
