/** Typed errors of the agent SDK; each carries a stable `code`. Recording never throws: only construction can. */
export abstract class AgentSdkError extends Error {
  abstract readonly code: string;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Invalid client options (caught at construction, never while recording). */
export class AgentSdkConfigError extends AgentSdkError {
  readonly code = 'AGENT_SDK_CONFIG_INVALID';
}
