import type { AgentVersionSpec } from './agent-version.schema';
import { assertNever } from './errors';
import type { LayerName } from './content';
import { showValue } from './json';
import { bumpRank, labelMove, maxBump, nextVersion, normaliseLabel, parseSemver, tryParseSemver, type SemverBump } from './semver';
import { diffVersions, type AgentVersionDiff, type KeyChange } from './version-diff';

export type RequiredBump = Exclude<SemverBump, 'none'>;

export interface BumpReason {
  bump: RequiredBump;
  layer: LayerName;
  /** E.g. "tool `search` removed". */
  message: string;
}

/** The smallest bump a change requires, and every change that contributes to it. */
export interface BumpDecision {
  bump: SemverBump;
  reasons: BumpReason[];
}

/**
 * Semver rules, from the diff with the agent's previous version:
 * - major: a tool removed or disabled; a breaking change to a tool's parameter schema;
 * - minor: model provider or name changed; a tool added or enabled;
 * - patch: prompt text/examples, model params, policies, tool descriptions, non-breaking schema
 *   changes, code ref or endpoint changed (code changes cannot be classified, so patch is the floor);
 * - none: identical content.
 */
export function requiredBump(diff: AgentVersionDiff): BumpDecision {
  const reasons: BumpReason[] = [];
  const add = (bump: RequiredBump, layer: LayerName, message: string) => reasons.push({ bump, layer, message });

  for (const tool of diff.tools.removed) add('major', 'tools', `tool \`${tool.name}\` removed`);
  for (const tool of diff.tools.changed) {
    for (const change of tool.changes) {
      if (change.path === 'enabled') add(change.breaking ? 'major' : 'minor', 'tools', `tool \`${tool.name}\` ${change.breaking ? 'disabled' : 'enabled'}`);
      else add(change.breaking ? 'major' : 'patch', 'tools', `tool \`${tool.name}\` ${change.summary}${change.breaking ? ' (breaking)' : ''}`);
    }
  }
  const { provider, name } = diff.model;
  if (provider) add('minor', 'model', `model provider changed: ${provider.before} → ${provider.after}`);
  if (name) add('minor', 'model', `model name changed: ${name.before} → ${name.after}`);
  for (const tool of diff.tools.added) add('minor', 'tools', `tool \`${tool.name}\` added`);
  for (const param of diff.model.params) add('patch', 'model', `model param ${keyChange(param)}`);
  if (diff.prompt.system.changed) add('patch', 'prompt', `prompt.system changed (+${diff.prompt.system.added} −${diff.prompt.system.removed} lines)`);
  if (diff.prompt.instructions.changed) add('patch', 'prompt', `prompt.instructions changed (+${diff.prompt.instructions.added} −${diff.prompt.instructions.removed} lines)`);
  const { added, removed } = diff.prompt.examples;
  if (added.length || removed.length) add('patch', 'prompt', `prompt.examples changed (+${added.length} −${removed.length})`);
  for (const policy of diff.policies.keys) add('patch', 'policies', `policy ${keyChange(policy)}`);
  if (diff.code.ref) add('patch', 'code', `code ref changed: ${diff.code.ref.before.slice(0, 12)} → ${diff.code.ref.after.slice(0, 12)}`);
  if (diff.code.endpoint) add('patch', 'code', `endpoint changed: ${diff.code.endpoint.before ?? '(none)'} → ${diff.code.endpoint.after ?? '(none)'}`);

  reasons.sort((x, y) => bumpRank(y.bump) - bumpRank(x.bump));
  return { bump: reasons.reduce<SemverBump>((acc, r) => maxBump(acc, r.bump), 'none'), reasons };
}

export function requiredBumpBetween(previous: AgentVersionSpec, next: AgentVersionSpec): BumpDecision {
  return requiredBump(diffVersions(previous, next));
}

function keyChange(change: KeyChange): string {
  switch (change.kind) {
    case 'added':
      return `\`${change.key}\` added: ${showValue(change.after)}`;
    case 'removed':
      return `\`${change.key}\` removed (was ${showValue(change.before)})`;
    case 'changed':
      return `\`${change.key}\` changed: ${showValue(change.before)} → ${showValue(change.after)}`;
    default:
      return assertNever(change.kind, 'key change kind');
  }
}

export type LabelRejection = 'INVALID_LABEL' | 'NOT_GREATER' | 'BUMP_TOO_SMALL';

export type LabelCheck = { ok: true; label: string } | { ok: false; code: LabelRejection; reason: string };

/**
 * Accepts a requested label if it is valid semver, greater than `previous`, and moves at least
 * as far as the required bump (a larger bump is always allowed). The first version may take any
 * valid label. Identical content (`none`) only needs a greater label; callers normally reuse the
 * existing version instead, since the id is the same.
 */
export function checkRequestedLabel(requested: string, previous: string | undefined, required: BumpDecision | SemverBump): LabelCheck {
  const wanted = tryParseSemver(requested);
  if (!wanted) return { ok: false, code: 'INVALID_LABEL', reason: `${JSON.stringify(requested)} is not a semantic version (expected MAJOR.MINOR.PATCH, e.g. 1.4.0)` };
  const label = normaliseLabel(requested);
  if (previous === undefined) return { ok: true, label };
  const decision: BumpDecision = typeof required === 'string' ? { bump: required, reasons: [] } : required;
  const prev = normaliseLabel(previous);
  const move = labelMove(parseSemver(prev), wanted);
  switch (move) {
    case 'same':
    case 'downgrade':
      return { ok: false, code: 'NOT_GREATER', reason: `${prev} → ${label}: the label must be greater than the previous version ${prev}` };
    case 'prerelease-only':
    case 'patch':
    case 'minor':
    case 'major': {
      const moved: SemverBump = move === 'prerelease-only' ? 'none' : move;
      if (bumpRank(moved) >= bumpRank(decision.bump)) return { ok: true, label };
      const because = decision.reasons.filter((r) => r.bump === decision.bump).map((r) => r.message);
      const cause = because.length ? `${because.join('; ')}: ` : '';
      const actual = move === 'prerelease-only' ? 'only a pre-release change' : `a ${move} bump`;
      return { ok: false, code: 'BUMP_TOO_SMALL', reason: `${cause}${decision.bump} bump required, ${prev} → ${label} is ${actual}` };
    }
    default:
      return assertNever(move, 'label move');
  }
}

/** The label for a new version: the requested one if acceptable, else the next one for the required bump. */
export function assignLabel(requested: string | undefined, previous: string | undefined, decision: BumpDecision): LabelCheck {
  if (requested !== undefined) return checkRequestedLabel(requested, previous, decision);
  return { ok: true, label: nextVersion(previous, decision.bump) };
}
