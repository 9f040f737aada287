import { renderAgentVersionYaml, toYaml, type JsonObject } from '../domain';
import type { RegisteredVersion } from './registered-version';

/**
 * A registered version as an `agents/<agent>/<label>.yaml` config file: the tuple with its label
 * as `version:`, then its notes and labels when it has them. Pushing the file again yields the same version.
 */
export function renderVersionYaml(version: RegisteredVersion): string {
  const extra: JsonObject = {};
  if (version.notes !== undefined) extra.notes = version.notes;
  if (version.labels !== undefined && Object.keys(version.labels).length > 0) extra.labels = version.labels;
  const tuple = renderAgentVersionYaml({ ...version.spec, label: version.label });
  return Object.keys(extra).length > 0 ? tuple + toYaml(extra) : tuple;
}
