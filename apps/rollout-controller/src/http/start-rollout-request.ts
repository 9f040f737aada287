import { BadRequestException } from '@nestjs/common';
import { parseYaml, YamlSyntaxError } from '@iris/contracts';
import { externalGatesFromQualityGates, type RolloutCommand } from '../domain';
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

/** quality_gates.yaml (text or parsed) → external gate specs; 400 naming `qualityGates` when it is not one. */
function qualityGateSpecs(file: string | Record<string, unknown>) {
  const invalid = (reason: string) => new BadRequestException({ statusCode: 400, error: 'Bad Request', message: 'Invalid request body', errors: [{ field: 'qualityGates', reason }] });
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
    throw invalid((error as Error).message.replace(/^qualityGates:? ?/, ''));
  }
}
