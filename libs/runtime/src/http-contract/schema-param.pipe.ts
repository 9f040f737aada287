import { PipeTransform } from '@nestjs/common';
import { contractErrorMessage, toContractIssues } from '@iris/contracts';
import type { z } from 'zod';
import { ApiError } from './error-shape';

/**
 * Validates one path, query or header value with the zod schema its operation documents; 400 naming it otherwise.
 * `@Param('agent', new SchemaParam('agent', AgentNameParam))`.
 */
export class SchemaParam<S extends z.ZodType> implements PipeTransform<unknown, z.output<S>> {
  constructor(
    private readonly name: string,
    private readonly schema: S,
  ) {}

  transform(value: unknown): z.output<S> {
    const result = this.schema.safeParse(value, { error: contractErrorMessage });
    if (result.success) return result.data;
    const errors = toContractIssues(result.error.issues).map((issue) => ({ field: this.name, reason: issue.message }));
    throw new ApiError(400, 'INVALID_PARAMETER', `${this.name} ${errors[0]?.reason ?? 'is invalid'}`, errors);
  }
}
