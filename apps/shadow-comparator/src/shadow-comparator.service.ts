import { ShadowComparatorModule } from './shadow-comparator.module';
import type { ServiceDefinition } from '@iris/runtime';

export const ShadowComparatorService: ServiceDefinition = { name: 'shadow-comparator', module: ShadowComparatorModule };
