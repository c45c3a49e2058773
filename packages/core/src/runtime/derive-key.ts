/**
 * A key for one purpose from a secret the operator configured: SHA-256 of a label naming the
 * purpose and the secret. Each use (consistent noise, near-duplicate fingerprints) has its own
 * label, so one secret never keys two primitives with the same key.
 */
import { createHash } from 'node:crypto';

export function deriveKey(secret: string | Uint8Array, label: string): Buffer {
  return createHash('sha256').update(label).update(secret).digest();
}
