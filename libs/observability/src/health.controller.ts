import { Controller, Get, HttpCode, Inject, Res } from '@nestjs/common';
import type { Response } from 'express';
import { evaluateReadiness, READINESS_CHECKS, ReadinessCheck, ReadinessReport } from './readiness';

/** `/health/live`: the process answers. `/health/ready`: its Kafka and database connections are up. */
@Controller('health')
export class HealthController {
  constructor(@Inject(READINESS_CHECKS) private readonly checks: ReadinessCheck[]) {}

  @Get('live')
  @HttpCode(200)
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('ready')
  async ready(@Res({ passthrough: true }) response: Response): Promise<ReadinessReport> {
    const report = await evaluateReadiness(this.checks);
    response.status(report.ready ? 200 : 503);
    return report;
  }
}
