import { ForbiddenRoleError, TokenAuthenticator, UnauthenticatedError } from './index';

const authenticator = new TokenAuthenticator([
  { actor: 'vera', role: 'viewer', token: 'viewer-token-0123456789' },
  { actor: 'otto', role: 'operator', token: 'operator-token-0123456789' },
  { actor: 'ada', role: 'admin', token: 'admin-token-0123456789' },
]);

describe('TokenAuthenticator', () => {
  it('maps a bearer token to its actor and role', () => {
    expect(authenticator.authenticate('Bearer operator-token-0123456789')).toEqual({ name: 'otto', role: 'operator' });
  });

  it.each([
    [undefined, /Missing Authorization/],
    ['Basic abc', /Malformed/],
    ['Bearer nope-nope-nope-nope', /Unknown bearer token/],
  ])('rejects %p with a clear 401 reason', (header, message) => {
    expect(() => authenticator.authenticate(header)).toThrow(UnauthenticatedError);
    expect(() => authenticator.authenticate(header)).toThrow(message);
  });

  it('orders roles viewer < operator < admin', () => {
    const viewer = authenticator.authenticate('Bearer viewer-token-0123456789');
    const admin = authenticator.authenticate('Bearer admin-token-0123456789');
    expect(() => authenticator.authorize(viewer, 'operator')).toThrow(ForbiddenRoleError);
    expect(() => authenticator.authorize(viewer, 'operator')).toThrow(/needs "operator"/);
    expect(() => authenticator.authorize(admin, 'operator')).not.toThrow();
  });
});
