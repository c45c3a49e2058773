/**
 * Who is calling, from an HTTP request: a known API key (`x-api-key`, or `Authorization: Bearer`),
 * else the client address (IPv6 by subnet). What is trusted, and why:
 *
 * - A key is an identity only when it is listed (by sha256, so policy files hold no secrets). An
 *   unlisted key is a claim anyone can make up: with no key list, presented keys are ignored and
 *   the caller is keyed by its address (otherwise a client would mint a fresh budget per request).
 * - The socket address is the caller, unless the request came through a trusted proxy: by count
 *   (`trustedProxies: N`, the Nth `X-Forwarded-For` entry from the right; spoofable when fewer
 *   proxies are in front than configured) or, safer, by the proxies' address ranges
 *   (`trustedProxies: ['10.0.0.0/8']`: entries are walked from the right while they come from a
 *   trusted proxy). An entry that is not an address is refused (400), not pooled into one bucket.
 *
 * The principal of a known key is its name, so even the key's hash never leaves the process.
 */
import { createHash } from 'node:crypto';
import { BulwarkError, ConfigError } from '../errors.js';
import { type AddressRange, addressKey, forwardedAddress, inRanges, parseRange } from '../principal/ip.js';
import type { PrincipalInput } from '../principal/principal.js';

export interface ApiKeyEntry {
  /** A name for the key's holder; becomes the principal id. */
  readonly name: string;
  /** Lowercase hex sha256 of the key (`bulwark hash-key <key>`). */
  readonly sha256: string;
  readonly tier?: string | undefined;
}

export interface PrincipalResolverOptions {
  /**
   * Known keys. When set, a request with an unknown key is refused (401). When not set, presented
   * keys are ignored (an unverified key is a claim, not an identity): callers are keyed by address.
   */
  readonly apiKeys?: readonly ApiKeyEntry[] | undefined;
  /** Refuse requests without a known key (401). Needs `apiKeys`. Default false. */
  readonly requireApiKey?: boolean | undefined;
  /** Prefix length that keys IPv6 callers (default 56). */
  readonly ipv6Subnet?: number | undefined;
  /**
   * Reverse proxies in front of the server whose `X-Forwarded-For` entries are trusted (default 0:
   * the socket address is the caller). A number N: the Nth address from the right is the caller
   * (anyone can write the header: only safe when exactly N proxies always sit in front). A list of
   * address ranges (CIDR): the header is read only from a peer in those ranges, and walked from
   * the right past every trusted proxy.
   */
  readonly trustedProxies?: number | readonly string[] | undefined;
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
  const trusted = options.trustedProxies ?? 0;
  const issues = [];
  if (options.requireApiKey && (options.apiKeys === undefined || options.apiKeys.length === 0)) {
    issues.push({ path: 'auth.requireApiKey', rule: 'needs auth.apiKeys with at least one key', received: 'true' });
  }
  const ranges: AddressRange[] = [];
  if (Array.isArray(trusted)) {
    trusted.forEach((cidr, i) => {
      const r = typeof cidr === 'string' ? parseRange(cidr) : undefined;
      if (r === undefined)
        issues.push({
          path: `principal.trustedProxies[${i}]`,
          rule: 'must be an address range such as 10.0.0.0/8',
          received: JSON.stringify(cidr)?.slice(0, 60) ?? 'undefined',
        });
      else ranges.push(r);
    });
  } else if (!Number.isSafeInteger(trusted) || (trusted as number) < 0) {
    issues.push({ path: 'principal.trustedProxies', rule: 'must be a count >= 0 or a list of address ranges', received: String(trusted) });
  }
  if (issues.length > 0) throw new ConfigError(issues, 'principal resolver');
  const known = new Map<string, ApiKeyEntry>();
  for (const k of options.apiKeys ?? []) known.set(k.sha256, k);
  const requireKey = options.requireApiKey === true;
  const hops = Array.isArray(trusted) ? 0 : (trusted as number);

  const resolvePrincipal: PrincipalResolver = (req) => {
    // Without a key list, keys are not identities: they are not even read.
    if (known.size > 0) {
      const key = presentedKey(req);
      if (key !== undefined) {
        if (key.length > MAX_KEY_LENGTH) throw unauthorized('API key is not valid');
        const entry = known.get(createHash('sha256').update(key, 'utf8').digest('hex'));
        if (entry === undefined) throw unauthorized('API key is not valid');
        return { kind: 'api-key', id: entry.name, tier: entry.tier };
      }
    }
    if (requireKey) throw unauthorized('an API key is required (x-api-key or Authorization: Bearer)');
    const address = ranges.length > 0 ? clientBehindRanges(req, ranges) : clientBehindHops(req, hops);
    const id = addressKey(address, subnet);
    return id === undefined ? { kind: 'anonymous', id: 'unknown-address' } : { kind: 'ip', id };
  };
  // Without keys or proxies the caller is a function of the socket address alone: the endpoint may
  // keep the principal per address instead of resolving it again on every request.
  if (known.size === 0 && !requireKey && hops === 0 && ranges.length === 0) addressOnly.add(resolvePrincipal);
  return resolvePrincipal;
}

const addressOnly = new WeakSet<PrincipalResolver>();

/** True for a resolver built by `createPrincipalResolver` whose answer depends on the socket address only. */
export function resolvesByAddressOnly(resolver: PrincipalResolver): boolean {
  return addressOnly.has(resolver);
}

const notAnAddress = () => new BulwarkError('invalid_request', 'X-Forwarded-For: the client entry is not an IP address');

/** The entries of X-Forwarded-For (all headers joined), left to right. */
function forwardedChain(req: RequestIdentity): string[] | undefined {
  const xff = req.header('x-forwarded-for');
  if (xff === undefined) return undefined;
  return xff
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
}

/** `hops` proxies in front: the last `hops` entries were added by them; the one before is the client. */
function clientBehindHops(req: RequestIdentity, hops: number): string | undefined {
  if (hops === 0) return req.remoteAddress;
  const chain = forwardedChain(req);
  if (chain === undefined) return req.remoteAddress;
  chain.push(req.remoteAddress ?? '');
  const entry = chain[Math.max(0, chain.length - 1 - hops)] as string;
  if (entry === req.remoteAddress) return entry;
  const address = forwardedAddress(entry);
  if (address === undefined) throw notAnAddress();
  return address;
}

/** Proxies by address range: walk from the socket peer leftwards while each hop is a trusted proxy. */
function clientBehindRanges(req: RequestIdentity, ranges: readonly AddressRange[]): string | undefined {
  let current = req.remoteAddress;
  if (!inRanges(current, ranges)) return current;
  const chain = forwardedChain(req) ?? [];
  for (let i = chain.length - 1; i >= 0; i--) {
    const address = forwardedAddress(chain[i] as string);
    if (address === undefined) throw notAnAddress();
    current = address;
    if (!inRanges(current, ranges)) return current;
  }
  return current;
}
