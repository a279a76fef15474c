// Name-based uuids. Metadata must carry the same uuid on every node, as an
// OpenMRS metadata package does, and clinical rows must get the same uuid
// every time the same seed runs on the same node. Both are hashes of a name,
// formatted as RFC 4122 version-5 uuids so they pass UUID_PATTERN.
import { createHash } from 'node:crypto';

/** Namespace of every uuid atomsync's seed derives. Never change it: metadata uuids would change with it. */
export const SEED_UUID_NAMESPACE = '3c1f7a52-5b0e-4d6a-9a41-2f6c8e0b7d93';

const KEY_SEPARATOR = '\u001f';
const namespaceBytes = new Map<string, Buffer>();

function bytesOf(uuid: string): Buffer {
  let b = namespaceBytes.get(uuid);
  if (!b) {
    b = Buffer.from(uuid.replace(/-/g, ''), 'hex');
    namespaceBytes.set(uuid, b);
  }
  return b;
}

/** RFC 4122 version-5 uuid of `name` within `namespace`. */
export function nameUuid(name: string, namespace = SEED_UUID_NAMESPACE): string {
  const h = createHash('sha1').update(bytesOf(namespace)).update(name, 'utf8').digest();
  h[6] = (h[6] & 0x0f) | 0x50;
  h[8] = (h[8] & 0x3f) | 0x80;
  const x = h.toString('hex', 0, 16);
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20, 32)}`;
}

/** A uuid for a metadata item, e.g. `metadataUuid('concept', 'WEIGHT')`: identical on every node. */
export function metadataUuid(kind: string, key: string): string {
  return nameUuid(`${kind}${KEY_SEPARATOR}${key}`);
}

/** A source of uuids numbered 0, 1, 2, ... within a namespace built from `parts`. */
export type UuidSource = () => string;

/**
 * `uuidSequence(seed, nodeId, 'patient', 17)` yields the same uuids in the same
 * order every run, and different ones for another node, seed or patient.
 */
export function uuidSequence(...parts: Array<string | number>): UuidSource {
  const ns = nameUuid(parts.join(KEY_SEPARATOR));
  let n = 0;
  return () => nameUuid(String(n++), ns);
}
