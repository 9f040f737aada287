import { Module } from '@nestjs/common';

/** The kill-switch service's features (controllers, consumers) are registered here. */
@Module({})
export class KillSwitchModule {}
