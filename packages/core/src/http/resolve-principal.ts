/**
 * Who is calling, from an HTTP request: an API key (`x-api-key`, or `Authorization: Bearer`), else
 * the client address (IPv6 by subnet). Known keys are stored as sha256 digests, so policy files hold
 * no secrets; the principal of a known key is its name, so even the key's hash never leaves the
 * process.
 */
import { createHash } from 'node:crypto';
import { BulwarkError, ConfigError } from '../errors.js';
import { addressKey } from '../principal/ip.js';
import type { PrincipalInput } from '../principal/principal.js';

export interface ApiKeyEntry {
  /** A name for the key's holder; becomes the principal id. */
  readonly name: string;
  /** Lowercase hex sha256 of the key (`bulwark hash-key <key>`). */
  readonly sha256: string;
  readonly tier?: string | undefined;
}

export interface PrincipalResolverOptions {
  /** Known keys. When set, a request with an unknown key is refused (401). */
  readonly apiKeys?: readonly ApiKeyEntry[] | undefined;
  /** Refuse requests without a known key (401). Needs `apiKeys`. Default false. */
  readonly requireApiKey?: boolean | undefined;
  /** Prefix length that keys IPv6 callers (default 56). */
  readonly ipv6Subnet?: number | undefined;
  /**
   * Reverse proxies in front of the server whose `X-Forwarded-For` entries are trusted (default 0:
   * the socket address is the caller). With N, the Nth address from the right is the caller.
   */
  readonly trustedProxies?: number | undefined;
}

/** What the resolver needs from a request. */
export interface RequestIdentity {
  header(name: string): string | undefined;
  readonly remoteAddress: string | undefined;
}

export type PrincipalResolver = (req: RequestIdentity) => PrincipalInput;

const MAX_KEY_LENGTH = 512;

function unauthorized(message: string): BulwarkError {
  return new BulwarkError('unauthorized', message, { headers: { 'www-authenticate': 'Bearer' } });
}

/** The key a request presents, if any. */
function presentedKey(req: RequestIdentity): string | undefined {
  const x = req.header('x-api-key');
  if (x !== undefined && x !== '') return x;
  const auth = req.header('authorization');
  if (auth === undefined) return undefined;
  const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(auth);
  if (m === null) throw unauthorized('Authorization must be "Bearer <key>"');
  return m[1];
}

export function createPrincipalResolver(options: PrincipalResolverOptions = {}): PrincipalResolver {
  const subnet = options.ipv6Subnet ?? 56;
  const hops = options.trustedProxies ?? 0;
  if (options.requireApiKey && (options.apiKeys === undefined || options.apiKeys.length === 0)) {
    throw new ConfigError([{ path: 'auth.requireApiKey', rule: 'needs auth.apiKeys with at least one key', received: 'true' }], 'principal resolver');
  }
  const known = new Map<string, ApiKeyEntry>();
  for (const k of options.apiKeys ?? []) known.set(k.sha256, k);
  const requireKey = options.requireApiKey === true;

  return function resolvePrincipal(req) {
    const key = presentedKey(req);
    if (key !== undefined) {
      if (key.length > MAX_KEY_LENGTH) throw unauthorized('API key is not valid');
      if (known.size === 0) return { kind: 'api-key', id: key };
      const entry = known.get(createHash('sha256').update(key, 'utf8').digest('hex'));
      if (entry === undefined) throw unauthorized('API key is not valid');
      return { kind: 'api-key', id: entry.name, tier: entry.tier };
    }
    if (requireKey) throw unauthorized('an API key is required (x-api-key or Authorization: Bearer)');
    const address = clientAddress(req, hops);
    const id = addressKey(address, subnet);
    return id === undefined ? { kind: 'anonymous', id: 'unknown-address' } : { kind: 'ip', id };
  };
}

function clientAddress(req: RequestIdentity, hops: number): string | undefined {
  if (hops === 0) return req.remoteAddress;
  const xff = req.header('x-forwarded-for');
  if (xff === undefined) return req.remoteAddress;
  const chain = xff
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
  chain.push(req.remoteAddress ?? '');
  // The last `hops` entries were added by our own proxies; the one before them is the client.
  return chain[Math.max(0, chain.length - 1 - hops)];
}
