import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { AuthenticatedRequest } from './auth.guard';
import type { Actor } from './token-authenticator';

/** Injects the authenticated actor; record `actor.name` in event metadata. */
export const CurrentActor = createParamDecorator((_: unknown, context: ExecutionContext): Actor | undefined => {
  return context.switchToHttp().getRequest<AuthenticatedRequest>().actor;
});
