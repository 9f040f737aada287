import type { IrisConfig, RolloutControllerSettings } from '@iris/config';

/** The rollout controller's own settings: the `ROLLOUT_*` part of the typed configuration (`libs/config`). */
export type ControllerSettings = RolloutControllerSettings;

export function controllerSettingsOf(config: IrisConfig): ControllerSettings {
  if (!config.rolloutController) throw new Error(`the configuration was loaded for ${config.service}, not for the rollout controller`);
  return config.rolloutController;
}
