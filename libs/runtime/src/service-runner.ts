import { INestApplication } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { NestFactory } from '@nestjs/core';
import { ConfigError, IrisConfig, loadConfig, redactConfig } from '@iris/config';
import { JsonLogger } from '@iris/observability';
import { createInfrastructure, Infrastructure } from './infrastructure';
import { bodyParserErrors, HttpErrorFilter } from './http-contract';
import { StorableInputPipe } from './storable-input.pipe';
import { writeBodyGuard } from './write-body.guard';
import { DEFAULT_MAX_BODY_BYTES, ServiceDefinition, ServiceRootModule } from './service-root.module';

/** Creates and starts one service's HTTP app on the given infrastructure; returns the listening app. */
export async function startService(definition: ServiceDefinition, config: IrisConfig, infrastructure: Infrastructure, logger: JsonLogger): Promise<INestApplication> {
  const app = await NestFactory.create(ServiceRootModule.forService(definition, config, infrastructure, logger), {
    logger,
    bufferLogs: false,
  });
  app.useGlobalFilters(new HttpErrorFilter());
  app.useGlobalPipes(new StorableInputPipe());
  app.use(writeBodyGuard(definition.requestMediaTypes)); // before the body parsers: a body of another media type is never read
  // The JSON limit is the one the service documents (413 above it); parser failures get the one error shape.
  (app as NestExpressApplication).useBodyParser('json', { limit: definition.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES });
  definition.configureApp?.(app);
  app.use(bodyParserErrors());
  await app.listen(config.port, config.host);
  return app;
}

/** The address an app listens on, for printing. */
export function listeningUrl(app: INestApplication): string {
  const address = app.getHttpServer().address();
  return typeof address === 'string' ? address : `http://${address.address}:${address.port}`;
}

/**
 * Stops in order on SIGTERM/SIGINT: the apps first (consumers finish their in-flight batch and commit),
 * then the shared infrastructure. A stuck shutdown is cut off after the configured timeout.
 */
export function closeOnSignals(logger: JsonLogger, timeoutMs: number, close: () => Promise<void>): void {
  let closing = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (closing) return;
    closing = true;
    logger.info('shutting down', { signal });
    const timer = setTimeout(() => {
      logger.error('shutdown timed out; exiting', { timeoutMs });
      process.exit(1);
    }, timeoutMs);
    timer.unref();
    close().then(
      () => {
        logger.info('stopped cleanly');
        process.exit(0);
      },
      (error: unknown) => {
        logger.error('shutdown failed', { error });
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
}

/** Entry point of a standalone service process: config → infrastructure → HTTP app → graceful stop. */
export async function runService(definition: ServiceDefinition, env = process.env): Promise<void> {
  let config: IrisConfig;
  try {
    config = loadConfig(definition.name, env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(JSON.stringify({ level: 'error', service: definition.name, msg: error.message, variable: error.variable }) + '\n');
      process.exit(78); // EX_CONFIG
    }
    throw error;
  }
  const logger = new JsonLogger(definition.name, config.logLevel);
  // Signals are handled from the start: consumers and the outbox relay begin work before the app listens, and a
  // SIGTERM in that window must still stop the service cleanly (once it is up), not kill it mid-write.
  let infrastructure: Infrastructure | undefined;
  let app: INestApplication | undefined;
  let startup: Promise<void> = Promise.resolve();
  closeOnSignals(logger, config.shutdownTimeoutMs, async () => {
    await startup.catch(() => undefined);
    await app?.close();
    await infrastructure?.close();
  });
  logger.info('starting', { config: redactConfig(config) }); // after the handlers: a SIGTERM on seeing it is handled
  startup = (async () => {
    infrastructure = await createInfrastructure(config, logger, { migrations: definition.migrations, kafkaConsumer: definition.kafkaConsumer });
    app = await startService(definition, config, infrastructure, logger);
    logger.info('listening', { url: listeningUrl(app) });
  })();
  await startup;
}
