import { Controller, Get, Inject } from '@nestjs/common';
import { Actor, CurrentActor, RequireRole } from '@iris/auth';
import { IrisConfig, redactConfig } from '@iris/config';
import { IRIS_CONFIG } from './tokens';

/** What a service is and how it is configured (secrets masked). */
@Controller('v1')
export class ServiceInfoController {
  constructor(@Inject(IRIS_CONFIG) private readonly config: IrisConfig) {}

  @Get('info')
  @RequireRole('viewer')
  info(@CurrentActor() actor: Actor): Record<string, unknown> {
    const { service, environment, mode } = this.config;
    return { service, environment, mode, actor };
  }

  @Get('config')
  @RequireRole('admin')
  effectiveConfig(): unknown {
    return redactConfig(this.config);
  }
}
