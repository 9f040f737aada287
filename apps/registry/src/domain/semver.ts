import { InvalidSemverError, assertNever } from './errors';

/** A parsed semantic version (semver.org 2.0.0). */
export interface Semver {
  major: number;
  minor: number;
  patch: number;
  prerelease: readonly (string | number)[];
  build: readonly string[];
}

/** How much a version label moves; `none` = identical content, no new version needed. */
export type SemverBump = 'major' | 'minor' | 'patch' | 'none';

export const FIRST_VERSION = '1.0.0';

const NUMERIC = '0|[1-9]\\d*';
const PRE_ID = `(?:${NUMERIC}|\\d*[a-zA-Z-][0-9a-zA-Z-]*)`;
const SEMVER_PATTERN = new RegExp(
  `^v?(${NUMERIC})\\.(${NUMERIC})\\.(${NUMERIC})` +
    `(?:-(${PRE_ID}(?:\\.${PRE_ID})*))?` +
    `(?:\\+([0-9a-zA-Z-]+(?:\\.[0-9a-zA-Z-]+)*))?$`,
);

/** Parses `1.4.0`, `2.0.0-rc.1+build.5`; a leading `v` (as in `v1.3.2`) is tolerated and dropped. */
export function tryParseSemver(label: string): Semver | undefined {
  const match = SEMVER_PATTERN.exec(label);
  if (!match) return undefined;
  const [major, minor, patch] = [match[1], match[2], match[3]].map(Number);
  if (![major, minor, patch].every(Number.isSafeInteger)) return undefined;
  const prerelease = match[4] ? match[4].split('.').map((id) => (/^\d+$/.test(id) ? Number(id) : id)) : [];
  if (prerelease.some((id) => typeof id === 'number' && !Number.isSafeInteger(id))) return undefined;
  return { major, minor, patch, prerelease, build: match[5] ? match[5].split('.') : [] };
}

export function parseSemver(label: string): Semver {
  const parsed = tryParseSemver(label);
  if (!parsed) throw new InvalidSemverError(label);
  return parsed;
}

export function isSemver(label: string): boolean {
  return tryParseSemver(label) !== undefined;
}

export function formatSemver(version: Semver): string {
  const pre = version.prerelease.length ? `-${version.prerelease.join('.')}` : '';
  const build = version.build.length ? `+${version.build.join('.')}` : '';
  return `${version.major}.${version.minor}.${version.patch}${pre}${build}`;
}

/** Canonical spelling of a label (`v1.3.2` → `1.3.2`). */
export function normaliseLabel(label: string): string {
  return formatSemver(parseSemver(label));
}

/** Precedence order per semver.org §11 (build metadata ignored): -1, 0 or 1. */
export function compareSemver(a: Semver | string, b: Semver | string): -1 | 0 | 1 {
  const x = typeof a === 'string' ? parseSemver(a) : a;
  const y = typeof b === 'string' ? parseSemver(b) : b;
  for (const key of ['major', 'minor', 'patch'] as const) {
    if (x[key] !== y[key]) return x[key] < y[key] ? -1 : 1;
  }
  if (!x.prerelease.length || !y.prerelease.length) {
    return x.prerelease.length === y.prerelease.length ? 0 : x.prerelease.length ? -1 : 1;
  }
  for (let i = 0; i < Math.max(x.prerelease.length, y.prerelease.length); i += 1) {
    const [p, q] = [x.prerelease[i], y.prerelease[i]];
    if (p === undefined) return -1;
    if (q === undefined) return 1;
    if (p === q) continue;
    if (typeof p === 'number' && typeof q === 'number') return p < q ? -1 : 1;
    if (typeof p === 'number') return -1; // numeric identifiers sort before alphanumeric ones
    if (typeof q === 'number') return 1;
    return p < q ? -1 : 1;
  }
  return 0;
}

/**
 * The label after `previous` for a given bump: increments the component and resets the lower
 * ones, dropping pre-release/build (`1.3.0-rc.1` + patch → `1.3.1`). No previous → `1.0.0`;
 * `none` → `previous` unchanged.
 */
export function nextVersion(previous: string | undefined, bump: SemverBump): string {
  if (previous === undefined) return FIRST_VERSION;
  const v = parseSemver(previous);
  switch (bump) {
    case 'major':
      return `${v.major + 1}.0.0`;
    case 'minor':
      return `${v.major}.${v.minor + 1}.0`;
    case 'patch':
      return `${v.major}.${v.minor}.${v.patch + 1}`;
    case 'none':
      return formatSemver(v);
    default:
      return assertNever(bump, 'semver bump');
  }
}

/** What going from `from` to `to` amounts to: the highest changed component, or why it is no bump. */
export type LabelMove = 'major' | 'minor' | 'patch' | 'prerelease-only' | 'same' | 'downgrade';

export function labelMove(from: Semver | string, to: Semver | string): LabelMove {
  const x = typeof from === 'string' ? parseSemver(from) : from;
  const y = typeof to === 'string' ? parseSemver(to) : to;
  const order = compareSemver(x, y);
  if (order === 0) return 'same';
  if (order > 0) return 'downgrade';
  if (x.major !== y.major) return 'major';
  if (x.minor !== y.minor) return 'minor';
  if (x.patch !== y.patch) return 'patch';
  return 'prerelease-only';
}

const BUMP_RANK: Record<SemverBump, number> = { none: 0, patch: 1, minor: 2, major: 3 };

export function bumpRank(bump: SemverBump): number {
  return BUMP_RANK[bump];
}

export function maxBump(a: SemverBump, b: SemverBump): SemverBump {
  return BUMP_RANK[a] >= BUMP_RANK[b] ? a : b;
}
