import { createHash, timingSafeEqual } from 'node:crypto';
import type { ApiToken, Role } from '@iris/config';
import { ForbiddenRoleError, UnauthenticatedError } from './auth.errors';

export interface Actor {
  name: string;
  role: Role;
}

const ROLE_RANK: Record<Role, number> = { viewer: 1, operator: 2, admin: 3 };

const digest = (value: string) => createHash('sha256').update(value).digest();

/** Maps bearer tokens from configuration to actors; roles are ordered viewer < operator < admin. */
export class TokenAuthenticator {
  private readonly entries: Array<{ digest: Buffer; actor: Actor }>;

  constructor(tokens: ApiToken[]) {
    this.entries = tokens.map((t) => ({ digest: digest(t.token), actor: { name: t.actor, role: t.role } }));
  }

  /** Resolves an `Authorization` header to an actor, or throws UnauthenticatedError. */
  authenticate(authorization: string | undefined): Actor {
    if (!authorization) throw new UnauthenticatedError('Missing Authorization header: send "Authorization: Bearer <token>"');
    const match = /^Bearer\s+(\S+)$/i.exec(authorization.trim());
    if (!match) throw new UnauthenticatedError('Malformed Authorization header: expected "Bearer <token>"');
    const presented = digest(match[1]);
    // Compare against every entry in constant time so timing doesn't reveal which token is close.
    let found: Actor | undefined;
    for (const entry of this.entries) {
      if (timingSafeEqual(entry.digest, presented)) found = entry.actor;
    }
    if (!found) throw new UnauthenticatedError('Unknown bearer token');
    return found;
  }

  /** Throws ForbiddenRoleError unless the actor has at least the required role. */
  authorize(actor: Actor, required: Role): void {
    if (ROLE_RANK[actor.role] < ROLE_RANK[required]) {
      throw new ForbiddenRoleError(`Role "${actor.role}" of "${actor.name}" may not do this: it needs "${required}"`);
    }
  }
}
