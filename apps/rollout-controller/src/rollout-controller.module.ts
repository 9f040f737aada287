import { Module } from '@nestjs/common';

/** The rollout-controller service's features (controllers, consumers) are registered here. */
@Module({})
export class RolloutControllerModule {}
