import { Module } from '@nestjs/common';

/** The registry service's features (controllers, consumers) are registered here. */
@Module({})
export class RegistryModule {}
