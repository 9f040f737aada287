import 'reflect-metadata';
import { KillSwitchService } from '../apps/kill-switch/src/kill-switch.service';
import { MetricsAggregatorService } from '../apps/metrics-aggregator/src/metrics-aggregator.service';
import { RegistryService } from '../apps/registry/src/registry.service';
import { RolloutControllerService } from '../apps/rollout-controller/src/rollout-controller.service';
import { ShadowComparatorService } from '../apps/shadow-comparator/src/shadow-comparator.service';
import { serviceDocument, type ServiceDefinition } from '../libs/runtime/src';

/** Every service, whose OpenAPI document is written to docs/openapi/<service>.json (add a new app here). */
export const SERVICES: readonly ServiceDefinition[] = [RegistryService, MetricsAggregatorService, RolloutControllerService, KillSwitchService, ShadowComparatorService];

export const openApiPath = (service: string) => `docs/openapi/${service}.json`;

/** The document as written (and as served at /docs, serialized). */
export const renderOpenApi = (definition: ServiceDefinition): string => `${JSON.stringify(serviceDocument(definition), null, 2)}\n`;
