import { Module } from '@nestjs/common';

/** The shadow-comparator service's features (controllers, consumers) are registered here. */
@Module({})
export class ShadowComparatorModule {}
