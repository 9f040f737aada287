import { ArgumentMetadata, BadRequestException, Injectable, PipeTransform } from '@nestjs/common';
import { findUnstorableField } from '@iris/contracts';

/**
 * Every service's HTTP boundary: a body, path parameter or query value holding a string PostgreSQL cannot store
 * (NUL, an unpaired UTF-16 surrogate) or nested deeper than any Iris document is refused with 400 naming the field,
 * before a validator recurses into it or anything is written. Registered globally by `startService`.
 */
@Injectable()
export class StorableInputPipe implements PipeTransform {
  transform(value: unknown, metadata: ArgumentMetadata): unknown {
    if (metadata.type === 'custom') return value;
    // Fields are named as the other 400s name them: a body field by its path, a parameter or query value by its name.
    const unstorable = findUnstorableField(value, metadata.data ?? '');
    if (!unstorable) return value;
    throw new BadRequestException({
      statusCode: 400,
      error: 'Bad Request',
      code: 'UNSTORABLE_INPUT',
      message: `${unstorable.field || 'the body'} ${unstorable.reason}`,
      errors: [{ field: unstorable.field || '<body>', reason: unstorable.reason }],
    });
  }
}
