import { createHash } from 'node:crypto';
import type { AgentVersionSpec } from './agent-version.schema';
import { canonicalJson } from './canonical-json';
import { LAYERS, toContent, type AgentVersionContent, type LayerName } from './content';

/** Tag hashed into every version digest; bump it if the canonical form ever changes. */
export const CONTENT_FORMAT = 'iris.agent-version/v1';
/** Hex characters of the digest kept in a version id (128 bits). */
export const VERSION_ID_HEX_LENGTH = 32;
export const VERSION_ID_PATTERN = new RegExp(`^sha256:[0-9a-f]{${VERSION_ID_HEX_LENGTH}}$`);

/** `sha256:<64 hex>` of a layer or of the whole version. */
export type Digest = `sha256:${string}`;

export interface VersionHashes {
  /** Version id: `sha256:` + first 32 hex characters of `digest`. Stable for identical content. */
  id: string;
  /** Full digest: sha256 of canonicalJson({ format, layers: { <layer>: <layer digest> } }). */
  digest: Digest;
  /** sha256 of each layer's canonical JSON; equal hashes ⇔ the layer did not change. */
  layers: Record<LayerName, Digest>;
}

export function sha256(text: string): Digest {
  return `sha256:${createHash('sha256').update(text, 'utf8').digest('hex')}`;
}

/**
 * Content addressing: each layer is hashed over its canonical JSON, and the version digest
 * is a hash over the layer digests (Merkle style), so the id can be re-derived from layer hashes
 * and a diff can tell changed layers apart without the content. The label is not hashed.
 */
export function hashContent(content: AgentVersionContent): VersionHashes {
  const layers = Object.fromEntries(LAYERS.map((layer) => [layer, sha256(canonicalJson(content[layer]))])) as Record<LayerName, Digest>;
  const digest = versionDigest(layers);
  return { id: versionIdOf(digest), digest, layers };
}

export function hashAgentVersion(spec: AgentVersionSpec): VersionHashes {
  return hashContent(toContent(spec));
}

export function versionDigest(layers: Record<LayerName, Digest>): Digest {
  return sha256(canonicalJson({ format: CONTENT_FORMAT, layers }));
}

export function versionIdOf(digest: Digest): string {
  return `sha256:${digest.slice('sha256:'.length, 'sha256:'.length + VERSION_ID_HEX_LENGTH)}`;
}
