import { CanActivate, ExecutionContext, ForbiddenException, Inject, Injectable, SetMetadata, UnauthorizedException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Role } from '@iris/config';
import { ForbiddenRoleError, UnauthenticatedError } from './auth.errors';
import { Actor, TokenAuthenticator } from './token-authenticator';

export const REQUIRED_ROLE = 'iris:required-role';
export const PUBLIC_ROUTE = 'iris:public-route';

/** The minimum role an endpoint (or controller) needs. Endpoints without it need `viewer`. */
export const RequireRole = (role: Role) => SetMetadata(REQUIRED_ROLE, role);
/** Opts an endpoint out of authentication (health probes). */
export const Public = () => SetMetadata(PUBLIC_ROUTE, true);

export interface AuthenticatedRequest {
  headers: Record<string, string | string[] | undefined>;
  actor?: Actor;
}

/** Bearer-token guard: 401 for missing/unknown tokens, 403 for insufficient roles; puts the actor on the request. */
@Injectable()
export class BearerAuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    @Inject(TokenAuthenticator) private readonly authenticator: TokenAuthenticator,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_ROUTE, targets)) return true;
    const required = this.reflector.getAllAndOverride<Role>(REQUIRED_ROLE, targets) ?? 'viewer';
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const header = request.headers['authorization'];
    try {
      const actor = this.authenticator.authenticate(Array.isArray(header) ? header[0] : header);
      this.authenticator.authorize(actor, required);
      request.actor = actor;
      return true;
    } catch (error) {
      if (error instanceof UnauthenticatedError) throw new UnauthorizedException({ statusCode: 401, error: 'Unauthorized', code: error.code, message: error.message, errors: [{ field: 'Authorization', reason: error.message }] });
      if (error instanceof ForbiddenRoleError) throw new ForbiddenException({ statusCode: 403, error: 'Forbidden', code: error.code, message: error.message, errors: [] });
      throw error;
    }
  }
}
