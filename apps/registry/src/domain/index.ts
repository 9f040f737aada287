/** Pure domain of the agent-version registry (no I/O): schema, content hash, semver rules, diff, YAML. */
export { type AgentVersionIssue, InvalidAgentVersionError, InvalidSemverError, NotCanonicalizableError, ROOT_PATH, YamlSyntaxError } from './errors';
export type { JsonObject, JsonValue } from './json';
export {
  GIT_SHA_PATTERN,
  TOOL_NAME_PATTERN,
  agentVersionSchema,
  parseAgentVersion,
  safeParseAgentVersion,
  type AgentVersionInput,
  type AgentVersionSpec,
  type ParseResult,
  type PromptExample,
  type ToolSpec,
} from './agent-version.schema';
export { canonicalJson, jsonEqual } from './canonical-json';
export {
  LAYERS,
  toContent,
  type AgentVersionContent,
  type CodeLayer,
  type LayerName,
  type ModelLayer,
  type PoliciesLayer,
  type PromptLayer,
  type ToolContent,
  type ToolsLayer,
} from './content';
export { CONTENT_FORMAT, VERSION_ID_HEX_LENGTH, VERSION_ID_PATTERN, hashAgentVersion, hashContent, sha256, versionDigest, versionIdOf, type Digest, type VersionHashes } from './content-hash';
export {
  FIRST_VERSION,
  compareSemver,
  formatSemver,
  isSemver,
  labelMove,
  nextVersion,
  normaliseLabel,
  parseSemver,
  tryParseSemver,
  type LabelMove,
  type Semver,
  type SemverBump,
} from './semver';
export { diffSchemas, normaliseSchema, type FieldChange } from './json-schema';
export { MAX_EDIT_DISTANCE, diffSequences, diffText, type DiffHunk, type EditOp, type TextDiff } from './text-diff';
export {
  diffContents,
  diffRecords,
  diffVersions,
  type AgentVersionDiff,
  type CodeDiff,
  type IndexedExample,
  type KeyChange,
  type ModelDiff,
  type PoliciesDiff,
  type PromptDiff,
  type ToolChange,
  type ToolSummary,
  type ToolsDiff,
  type ValueChange,
} from './version-diff';
export {
  assignLabel,
  checkRequestedLabel,
  requiredBump,
  requiredBumpBetween,
  type BumpDecision,
  type BumpReason,
  type LabelCheck,
  type LabelRejection,
  type RequiredBump,
} from './semver-rules';
export { parseYaml } from '@iris/contracts';
export { toYaml } from './yaml-writer';
export { agentVersionFromYamlDocument, parseAgentVersionYaml, renderAgentVersionYaml, type ParseYamlOptions } from './agent-version-yaml';
