/** No or unknown bearer token (HTTP 401). */
export class UnauthenticatedError extends Error {
  readonly code = 'UNAUTHENTICATED';
}

/** Known caller without the role the endpoint needs (HTTP 403). */
export class ForbiddenRoleError extends Error {
  readonly code = 'FORBIDDEN';
}
