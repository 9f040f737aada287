import { InvalidSemverError, compareSemver, isSemver, labelMove, nextVersion, normaliseLabel, parseSemver } from './index';

describe('semver', () => {
  it('parses and normalises valid labels', () => {
    expect(parseSemver('2.0.0-rc.1+build.5')).toEqual({ major: 2, minor: 0, patch: 0, prerelease: ['rc', 1], build: ['build', '5'] });
    expect(normaliseLabel('v1.3.2')).toBe('1.3.2');
  });

  it.each(['1.3', '01.2.3', '1.2.3-01', '1.2.3-', 'x.y.z', '1.2.3 ', ''])('refuses %j', (label) => {
    expect(isSemver(label)).toBe(false);
    expect(() => parseSemver(label)).toThrow(InvalidSemverError);
  });

  it('orders by precedence (semver.org §11)', () => {
    const sorted = ['1.0.0', '1.0.0-rc.1', '1.0.0-beta.11', '1.0.0-beta.2', '1.0.0-beta', '1.0.0-alpha.beta', '1.0.0-alpha.1', '1.0.0-alpha', '2.0.0', '1.10.0'].sort(compareSemver);
    expect(sorted).toEqual(['1.0.0-alpha', '1.0.0-alpha.1', '1.0.0-alpha.beta', '1.0.0-beta', '1.0.0-beta.2', '1.0.0-beta.11', '1.0.0-rc.1', '1.0.0', '1.10.0', '2.0.0']);
    expect(compareSemver('1.0.0+a', '1.0.0+b')).toBe(0);
  });

  it('computes the next version', () => {
    expect(nextVersion(undefined, 'minor')).toBe('1.0.0');
    expect(nextVersion('1.3.2', 'major')).toBe('2.0.0');
    expect(nextVersion('1.3.2', 'minor')).toBe('1.4.0');
    expect(nextVersion('1.3.2', 'patch')).toBe('1.3.3');
    expect(nextVersion('v1.3.2', 'none')).toBe('1.3.2');
    expect(nextVersion('1.3.0-rc.1', 'patch')).toBe('1.3.1');
  });

  it('classifies label moves', () => {
    expect(labelMove('1.3.0', '2.0.0-canary')).toBe('major');
    expect(labelMove('1.3.0', '1.4.0')).toBe('minor');
    expect(labelMove('1.3.0-rc.1', '1.3.0')).toBe('prerelease-only');
    expect(labelMove('1.3.0', '1.3.0')).toBe('same');
    expect(labelMove('1.3.0', '1.2.9')).toBe('downgrade');
  });
});
