/** Redis clients for tests, on the server the global setup found or started. */
import { randomBytes } from 'node:crypto';
import { RedisStore } from '@bulwark/redis-store';
import { Redis } from 'ioredis';
import { inject } from 'vitest';

export const redisUrl = (): string => inject('redisUrl');

/** A client as production should configure it: fail fast while Redis is down, reconnect on its own. */
export function client(url = redisUrl()): Redis {
  const c = new Redis(url, { enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: (n) => Math.min(n * 50, 500) });
  c.on('error', () => {});
  return c;
}

/** Resolves once the client is connected (commands fail fast before that: no offline queue). */
export function ready(c: Redis): Promise<void> {
  if (c.status === 'ready') return Promise.resolve();
  return new Promise((resolve) => c.once('ready', () => resolve()));
}

/** A RedisStore under a fresh prefix, so tests never see each other's keys. Await `ready(client)`. */
export function isolatedStore(url = redisUrl()): { store: RedisStore; prefix: string; client: Redis } {
  const c = client(url);
  const prefix = `test:${randomBytes(6).toString('hex')}:`;
  return { store: new RedisStore({ client: c, prefix }), prefix, client: c };
}
