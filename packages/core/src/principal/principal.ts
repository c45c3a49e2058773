/**
 * Who is calling. Raw identifiers (API keys, user ids, addresses) stay in memory; everything that
 * leaves the process (spans, metrics, store keys) uses `hash`, a keyed HMAC-SHA256 of kind and id.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { ConfigError } from '../errors.js';

export type PrincipalKind = 'api-key' | 'user' | 'tenant' | 'ip' | 'anonymous';

export interface Principal {
  readonly kind: PrincipalKind;
  /** The raw identifier. Never put it in telemetry, logs or store keys: use `hash`. */
  readonly id: string;
  /** base64url of the first 16 bytes of HMAC-SHA256(secret, kind ":" id): 22 characters, [A-Za-z0-9_-]. */
  readonly hash: string;
  /** Optional tier, e.g. from an API-key table; used by budget guards. */
  readonly tier?: string | undefined;
}

/** What callers pass: a plain string is a user id. */
export type PrincipalInput = string | { kind: PrincipalKind; id: string; tier?: string | undefined };

/**
 * Hashes principals with a keyed hash and caches the results (an HMAC costs ~1 µs; the pipeline's
 * budget is less). The secret should be shared by every replica, so that a caller has one identity
 * across them; without one a random per-process secret is used.
 */
export class PrincipalHasher {
  readonly #secret: Buffer;
  /**
   * One cache per kind, keyed by the id itself: no `kind:id` string is built per call, and a caller
   * whose id string is reused (an in-process app) hits the string's cached hash.
   */
  readonly #caches = new Map<PrincipalKind, LRUCache<string, string>>();
  /** True when the secret was generated here (hashes differ between processes). */
  readonly ephemeral: boolean;

  constructor(secret?: string | Uint8Array) {
    this.ephemeral = secret === undefined;
    this.#secret = secret === undefined ? randomBytes(32) : Buffer.from(secret);
    if (this.#secret.length < 16) {
      throw new ConfigError(
        [{ path: 'principalSecret', rule: 'must be at least 16 bytes (32 random bytes recommended)', received: `${this.#secret.length} bytes` }],
        'PrincipalHasher',
      );
    }
  }

  hash(kind: PrincipalKind, id: string): string {
    let cache = this.#caches.get(kind);
    if (cache === undefined) {
      cache = new LRUCache<string, string>({ max: 10_000 });
      this.#caches.set(kind, cache);
    }
    let h = cache.peek(id);
    if (h === undefined) {
      h = createHmac('sha256', this.#secret).update(`${kind}:${id}`, 'utf8').digest().subarray(0, 16).toString('base64url');
      cache.set(id, h);
    }
    return h;
  }

  /** Builds a Principal; the hash is computed on first use only. */
  principal(input: PrincipalInput): Principal {
    const kind = typeof input === 'string' ? 'user' : input.kind;
    const id = typeof input === 'string' ? input : input.id;
    const tier = typeof input === 'string' ? undefined : input.tier;
    return new LazyPrincipal(this, kind, id, tier);
  }
}

class LazyPrincipal implements Principal {
  #hash: string | undefined;
  constructor(
    private readonly hasher: PrincipalHasher,
    readonly kind: PrincipalKind,
    readonly id: string,
    readonly tier: string | undefined,
  ) {}
  get hash(): string {
    if (this.#hash === undefined) this.#hash = this.hasher.hash(this.kind, this.id);
    return this.#hash;
  }
  /** Keeps the raw id out of JSON.stringify and util.inspect output. */
  toJSON(): object {
    return { kind: this.kind, hash: this.hash, tier: this.tier };
  }
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `Principal(${this.kind}:${this.hash})`;
  }
}
