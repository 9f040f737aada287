import { EnvReader } from '@iris/config';

/** The rollout controller's own settings (read once at start-up; errors name the variable). */
export interface ControllerSettings {
  /** Consumer group that turns metrics snapshots into gate evaluations (one member per agent partition). */
  consumerGroup: string;
  /** How often in-progress rollouts get a scheduled Tick (advances when min duration passes without a new window). */
  tickIntervalMs: number;
  /** Refuse to start rollouts of versions the registry has not published. */
  requireRegisteredVersions: boolean;
  /** Environment promotion: a version must have completed a rollout there before it may start here. */
  promoteFrom: string | undefined;
}

export function loadControllerSettings(env: NodeJS.ProcessEnv = process.env): ControllerSettings {
  const read = new EnvReader(env);
  return {
    consumerGroup: read.string('ROLLOUT_CONSUMER_GROUP', 'iris-rollout-controller'),
    tickIntervalMs: read.integer('ROLLOUT_TICK_INTERVAL_MS', 5_000, { min: 50, max: 3_600_000 }),
    requireRegisteredVersions: read.boolean('ROLLOUT_REQUIRE_REGISTERED', true),
    promoteFrom: read.optionalString('ROLLOUT_PROMOTE_FROM'),
  };
}
