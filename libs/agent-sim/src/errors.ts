/** Invalid simulation scenario (typed, with a stable code). */
export class SimulationConfigError extends Error {
  readonly code = 'AGENT_SIM_CONFIG_INVALID';
  constructor(message: string) {
    super(message);
    this.name = 'SimulationConfigError';
  }
}
