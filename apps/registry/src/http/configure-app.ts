import type { INestApplication } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { MAX_MESSAGE_BYTES } from '@iris/contracts';
import { YAML_MEDIA_TYPES } from './request-body';

/**
 * YAML bodies for the registry, up to the Kafka message limit like its JSON bodies (a version is published as one
 * message); malformed or oversized bodies are answered by the runtime in the one error shape.
 */
export function configureRegistryApp(app: INestApplication): void {
  (app as NestExpressApplication).useBodyParser('text', { type: YAML_MEDIA_TYPES, limit: MAX_MESSAGE_BYTES });
}
