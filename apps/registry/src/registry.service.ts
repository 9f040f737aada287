import { MAX_MESSAGE_BYTES } from '@iris/contracts';
import { JSON_MEDIA_TYPES, type ServiceDefinition } from '@iris/runtime';
import { configureRegistryApp } from './http/configure-app';
import { REGISTRY_API } from './http/registry-api';
import { YAML_MEDIA_TYPES } from './http/request-body';
import { RegistryModule } from './registry.module';

export const RegistryService: ServiceDefinition = {
  name: 'registry',
  module: RegistryModule,
  requestMediaTypes: [...JSON_MEDIA_TYPES, ...YAML_MEDIA_TYPES], // a version is posted as JSON or as its YAML file
  maxBodyBytes: MAX_MESSAGE_BYTES, // a version is published as one Kafka message
  api: REGISTRY_API,
  configureApp: configureRegistryApp,
};
