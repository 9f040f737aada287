import { MessagingConfigError } from './errors';
import { SubscriptionOptions } from './message-bus';

export const SUBSCRIPTION_DEFAULTS = { maxRetries: 3, retryBackoffMs: 100, maxBatchSize: 500, maxOutageBackoffMs: 5_000 } as const;

export interface ResolvedSubscriptionOptions<T> extends Required<Omit<SubscriptionOptions<T>, 'topic' | 'topics' | 'onAssignment' | 'committableOffset' | 'onDeadLettered'>> {
  topics: string[];
  onAssignment?: SubscriptionOptions<T>['onAssignment'];
  committableOffset?: SubscriptionOptions<T>['committableOffset'];
  onDeadLettered?: SubscriptionOptions<T>['onDeadLettered'];
}

/** Validates subscription options and fills in defaults (shared by all implementations). */
export function resolveSubscriptionOptions<T>(options: SubscriptionOptions<T>): ResolvedSubscriptionOptions<T> {
  const topics = [...new Set([...(options.topic ? [options.topic] : []), ...(options.topics ?? [])])];
  if (topics.length === 0) throw new MessagingConfigError('subscribe: `topic` or `topics` is required');
  if (!options.groupId) throw new MessagingConfigError('subscribe: `groupId` is required');
  const resolved: ResolvedSubscriptionOptions<T> = {
    topics,
    groupId: options.groupId,
    fromBeginning: options.fromBeginning ?? false,
    decode: options.decode,
    handleBatch: options.handleBatch,
    maxRetries: options.maxRetries ?? SUBSCRIPTION_DEFAULTS.maxRetries,
    retryBackoffMs: options.retryBackoffMs ?? SUBSCRIPTION_DEFAULTS.retryBackoffMs,
    maxBatchSize: options.maxBatchSize ?? SUBSCRIPTION_DEFAULTS.maxBatchSize,
    maxOutageBackoffMs: options.maxOutageBackoffMs ?? SUBSCRIPTION_DEFAULTS.maxOutageBackoffMs,
    onDeadLettered: options.onDeadLettered,
    onAssignment: options.onAssignment,
    committableOffset: options.committableOffset,
  };
  if (!Number.isInteger(resolved.maxRetries) || resolved.maxRetries < 0)
    throw new MessagingConfigError('subscribe: `maxRetries` must be an integer >= 0');
  if (!(resolved.retryBackoffMs >= 0)) throw new MessagingConfigError('subscribe: `retryBackoffMs` must be >= 0');
  if (!(resolved.maxOutageBackoffMs > 0)) throw new MessagingConfigError('subscribe: `maxOutageBackoffMs` must be > 0');
  if (!Number.isInteger(resolved.maxBatchSize) || resolved.maxBatchSize < 1)
    throw new MessagingConfigError('subscribe: `maxBatchSize` must be an integer >= 1');
  return resolved;
}
