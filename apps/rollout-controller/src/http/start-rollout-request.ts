import { BadRequestException } from '@nestjs/common';
import { parseYaml, YamlSyntaxError } from '@iris/contracts';
import { externalGatesFromQualityGates, InvalidQualityGatesError, type RolloutCommand } from '../domain';
import { parseBody } from './http-errors';
import { StartRolloutSchema } from './request-schemas';

type StartRolloutData = Extract<RolloutCommand, { type: 'StartRollout' }>['data'];

/**
 * A start request decoded at the boundary: the body validated, and its `qualityGates` file (YAML text or its
 * JSON form) turned into external gates of the rollout; 400 naming the field otherwise.
 */
export function parseStartRollout(body: unknown): { commandId?: string; data: StartRolloutData } {
  const { commandId, qualityGates, ...data } = parseBody(StartRolloutSchema, body);
  const fromFile = qualityGates === undefined ? [] : qualityGateSpecs(qualityGates);
  if (fromFile.length > 0) data.gates = { ...data.gates, external: [...(data.gates?.external ?? []), ...fromFile] };
  return { commandId, data: data as StartRolloutData };
}

/** quality_gates.yaml (text or parsed) → external gate specs; 400 naming each offending field (`qualityGates.gates[2].min_pass_rate`). */
function qualityGateSpecs(file: string | Record<string, unknown>) {
  const invalid = (reason: string, errors = [{ field: 'qualityGates', reason }]) =>
    new BadRequestException({ statusCode: 400, error: 'Bad Request', code: 'INVALID_BODY', message: 'Invalid request body', errors });
  let parsed: unknown = file;
  if (typeof file === 'string') {
    try {
      parsed = parseYaml(file);
    } catch (error) {
      if (error instanceof YamlSyntaxError) throw invalid(error.message);
      throw error;
    }
  }
  try {
    return externalGatesFromQualityGates(parsed);
  } catch (error) {
    if (!(error instanceof InvalidQualityGatesError)) throw error;
    throw invalid(error.message, error.issues.map((issue) => ({ field: `qualityGates.${issue.field}`, reason: issue.reason })));
  }
}
