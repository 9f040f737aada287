import { DynamicModule, INestApplication, Module, Type } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { DataSource, type MigrationInterface } from 'typeorm';
import { BearerAuthGuard, Public, TokenAuthenticator } from '@iris/auth';
import type { IrisConfig, ServiceName } from '@iris/config';
import { HealthController, JsonLogger, READINESS_CHECKS } from '@iris/observability';
import { ApiDocsController, buildOpenApiDocument, OPENAPI_DOCUMENT, SERVICE_OPERATIONS, type ApiDescription } from './http-contract';
import type { Infrastructure, KafkaConsumerTuning } from './infrastructure';
import { ServiceInfoController } from './service-info.controller';
import { CONSUMER_HEALTH, EVENT_STORE, IRIS_CONFIG, MESSAGE_BUS } from './tokens';

/** What makes one service: its name and its feature module (controllers, consumers). */
export interface ServiceDefinition {
  name: ServiceName;
  module: Type<unknown>;
  /** TypeORM migrations of the tables this service owns (beside the shared event log). */
  migrations?: Array<new () => MigrationInterface>;
  /** Kafka consumer tuning of the service's bus (e.g. partitions processed concurrently, fetch size). */
  kafkaConsumer?: KafkaConsumerTuning;
  /** Media types the service takes as a write's body (default: application/json); anything else is 415. */
  requestMediaTypes?: readonly string[];
  /** Largest request body taken, in bytes (default DEFAULT_MAX_BODY_BYTES); larger is 413. Documented in the service's OpenAPI. */
  maxBodyBytes?: number;
  /** The service's HTTP operations, described once (OpenAPI at /docs, docs/openapi/<service>.json, the contract test). */
  api?: ApiDescription;
  /** Adjusts the HTTP app before it starts (e.g. body parsers with larger limits or other media types). */
  configureApp?: (app: INestApplication) => void;
}

/** Largest JSON body a service takes unless its definition says otherwise: 1 MiB, a Kafka message (what a command may become). */
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

/** The OpenAPI 3.1 document of a service: its own operations and those every service serves. */
export function serviceDocument(definition: ServiceDefinition) {
  const api = definition.api ?? { title: `Iris ${definition.name}`, description: `The ${definition.name} service.`, operations: [] };
  return buildOpenApiDocument({
    service: definition.name,
    api: { ...api, operations: [...api.operations, ...SERVICE_OPERATIONS] },
    maxBodyBytes: definition.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
  });
}

// Probes must answer without a token.
Public()(HealthController);

/** The root of every service: shared infrastructure as global providers, health probes, bearer-token auth on every route. */
@Module({})
export class ServiceRootModule {
  static forService(definition: ServiceDefinition, config: IrisConfig, infrastructure: Infrastructure, logger: JsonLogger): DynamicModule {
    const providers = [
      { provide: IRIS_CONFIG, useValue: config },
      { provide: MESSAGE_BUS, useValue: infrastructure.bus },
      { provide: CONSUMER_HEALTH, useValue: infrastructure.consumerHealth },
      { provide: EVENT_STORE, useValue: infrastructure.eventStore },
      { provide: DataSource, useValue: infrastructure.dataSource },
      { provide: READINESS_CHECKS, useValue: infrastructure.readinessChecks },
      { provide: JsonLogger, useValue: logger },
      { provide: TokenAuthenticator, useValue: new TokenAuthenticator(config.auth.tokens) },
      { provide: OPENAPI_DOCUMENT, useValue: serviceDocument(definition) },
    ];
    return {
      module: ServiceRootModule,
      global: true,
      imports: [definition.module],
      controllers: [HealthController, ServiceInfoController, ApiDocsController],
      providers: [...providers, { provide: APP_GUARD, useClass: BearerAuthGuard }],
      exports: providers.map((p) => p.provide),
    };
  }
}
