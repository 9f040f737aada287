import { buildTelemetryEvent } from '@iris/agent-sdk';
import type { IrisEvent } from '@iris/contracts';
import { Prng } from './prng';
import { resolveScenario, SimulationScenario } from './scenario';
import { PlannedTelemetry, TelemetryPlanner } from './telemetry-planner';

export interface GenerateTelemetryOptions extends SimulationScenario {
  agent: string;
  environment?: string;
  /** Simulated clock: epoch ms of the first event. Default 2025-01-01T00:00:00Z. */
  startTimeMs?: number;
}

export const DEFAULT_SIMULATED_START_MS = Date.UTC(2025, 0, 1);

/**
 * The events a scenario produces, exactly as the SDK would publish them (same envelope building and
 * validation), on a simulated clock. Pure and deterministic, event ids included: same options → same events.
 */
export function generateTelemetry(options: GenerateTelemetryOptions): IrisEvent[] {
  const planner = new TelemetryPlanner(resolveScenario(options));
  const ids = new Prng(options.seed ^ 0x5eed1d5);
  const startMs = options.startTimeMs ?? DEFAULT_SIMULATED_START_MS;
  const source = { agent: options.agent, versionId: options.versions[0].versionId, environment: options.environment ?? 'production' };
  const toEvent = (planned: PlannedTelemetry): IrisEvent => {
    const occurredAtMs = startMs + planned.offsetMs;
    return buildTelemetryEvent(
      { type: planned.type, eventId: ids.uuid(), recordedAtMs: occurredAtMs, input: { ...planned.input, occurredAt: occurredAtMs } },
      source,
    );
  };
  const events: IrisEvent[] = [];
  while (planner.requestsPlanned < planner.plannedRequests) {
    for (const planned of planner.nextStep()) events.push(toEvent(planned));
  }
  for (const planned of planner.finish()) events.push(toEvent(planned));
  return events;
}
