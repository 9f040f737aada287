import { KillSetSubscriber, type AgentSdkLogger } from '@iris/agent-sdk';
import type { IrisConfig } from '@iris/config';
import type { MessageBus } from '@iris/messaging';
import type { JsonLogger } from '@iris/observability';
import { endOffsetsProbe } from './catch-up';
import type { KillCommandHandler } from './kill-command-handler';

export type TopicCheckOutcome = 'in-step' | 'republished';

/**
 * At start: does the compacted kill-switch topic hold the log's latest kill set? It is read the way an SDK reads it
 * (the same subscriber); when it is behind the log (the topic was lost or recreated), the current set is appended
 * again as a contract event and the outbox publishes it. A check that cannot finish in time re-publishes too
 * (harmless: consumers keep the highest revision).
 */
export async function ensureTopicHoldsLatest(
  handler: KillCommandHandler,
  bus: MessageBus,
  config: IrisConfig,
  logger: JsonLogger,
  timeoutMs: number,
): Promise<TopicCheckOutcome> {
  const { state } = await handler.load();
  if (state.revision === 0) return 'in-step';
  const sdkLogger: AgentSdkLogger = { log: (level, message, fields) => logger.write(level, message, { component: 'topic-check', ...fields }) };
  const endOffsets = endOffsetsProbe(bus, config, logger);
  const subscriber = new KillSetSubscriber({ bus, environment: config.environment, endOffsets, logger: sdkLogger, groupId: `kill-switch-topic-check-${process.pid}-${Date.now()}` });
  let timer: NodeJS.Timeout | undefined;
  try {
    void subscriber.start();
    const caughtUp = await Promise.race([subscriber.ready().then(() => true), new Promise<boolean>((done) => (timer = setTimeout(() => done(false), timeoutMs)))]);
    const published = subscriber.killSet()?.revision ?? null;
    if (caughtUp && published !== null && published >= state.revision) return 'in-step';
    const { state: after } = await handler.republish('kill-switch/republish');
    logger.warn('the kill-switch topic lacked the latest kill set; re-published it from the log', { revision: after.revision, published, caughtUp });
    return 'republished';
  } finally {
    clearTimeout(timer);
    await subscriber.stop();
  }
}
