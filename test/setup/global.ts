/**
 * Global test setup: a real Redis for everything distributed. Uses REDIS_URL (default
 * redis://127.0.0.1:6379) when it answers; otherwise starts `redis-server` on a free port for the
 * run (no persistence) and stops it afterwards. Tests that need Redis never skip: without one the
 * run fails here, saying why.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { Redis } from 'ioredis';
import type { TestProject } from 'vitest/node';

async function answers(url: string): Promise<boolean> {
  const client = new Redis(url, { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 1000 });
  client.on('error', () => {});
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

let child: ChildProcess | undefined;

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  let url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  if (!(await answers(url))) {
    const port = await freePort();
    child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    const failed = new Promise<never>((_, reject) =>
      child?.once('error', (e) =>
        reject(new Error(`no Redis at ${url} and redis-server could not start (${e.message}); install it: apt-get install redis-server`)),
      ),
    );
    url = `redis://127.0.0.1:${port}`;
    for (let i = 0; i < 50 && !(await Promise.race([answers(url), failed])); i++) await new Promise((r) => setTimeout(r, 100));
    if (!(await answers(url))) throw new Error(`started redis-server on port ${port} but it does not answer`);
  }
  project.provide('redisUrl', url);
  return async () => {
    child?.kill('SIGTERM');
  };
}

declare module 'vitest' {
  export interface ProvidedContext {
    redisUrl: string;
  }
}
