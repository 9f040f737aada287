import { randomBytes } from 'node:crypto';

/** A unique name for a per-test topic, group or stream, as kafkajs's own tests do. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
}
