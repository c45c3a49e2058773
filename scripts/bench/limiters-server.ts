/**
 * One server of the rate-limiter comparison (scripts/bench/limiters.ts), in its own process: the
 * same Express 5 app and fraud model, with one of the limiters Bulwark's budget replaces, each
 * set far above the load (every request is counted and admitted) and keyed by the caller's
 * address, as each library does by default:
 *   plain           express.json + res.json, no limiter: the baseline of the two libraries;
 *   erl-memory      express-rate-limit (its MemoryStore), RateLimit headers (draft-8);
 *   erl-redis       the same with rate-limit-redis on the local Redis (ioredis);
 *   rlf-memory      rate-limiter-flexible's RateLimiterMemory as a middleware;
 *   rlf-redis       RateLimiterRedis on the local Redis (ioredis);
 *   bulwark         `bulwark serve --framework express`, empty policy: Bulwark's own baseline;
 *   bulwark-memory  the same with a budget of one rate limit on the MemoryStore, RateLimit headers;
 *   bulwark-redis   the same on RedisStore.
 * Prints its URL on stdout.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startServer } from '@bulwark/cli';
import { modelPath } from '@bulwark/models';
import { loadOnnxClassifier } from '@bulwark/onnx';
import express, { type NextFunction, type Request, type Response } from 'express';
import { rateLimit } from 'express-rate-limit';
import { Redis } from 'ioredis';
import { RedisStore as RateLimitRedisStore, type RedisReply } from 'rate-limit-redis';
import { RateLimiterMemory, RateLimiterRedis } from 'rate-limiter-flexible';

const [variant = 'plain'] = process.argv.slice(2);
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const prefix = `bench-limiters:${process.pid}:`;
/** Far above any load this machine can send: every request is counted, none refused. */
const LIMIT = 1_000_000_000;

if (variant.startsWith('bulwark')) {
  const store = variant === 'bulwark-redis' ? 'shared' : 'memory';
  const policy =
    variant === 'bulwark'
      ? { version: 1 }
      : {
          version: 1,
          stores: store === 'shared' ? { shared: { type: 'redis', url: redisUrl, prefix } } : undefined,
          guards: [{ use: 'budget', with: { store, tiers: { default: { rate: { limit: LIMIT, per: 'minute' } } } } }],
        };
  const s = await startServer({
    model: modelPath('fraud'),
    policy: policy as never,
    port: 0,
    framework: 'express',
    principalSecret: 'bench-secret-0123456789',
  });
  process.stdout.write(`${s.url}\n`);
} else {
  const model = await loadOnnxClassifier(modelPath('fraud'));
  // The same client settings as `bulwark serve` (auto-pipelining batches the calls of concurrent requests).
  const redis = () => new Redis(redisUrl, { enableAutoPipelining: true, enableOfflineQueue: true, maxRetriesPerRequest: 1 });
  const app = express();
  app.disable('x-powered-by');
  if (variant === 'erl-memory' || variant === 'erl-redis') {
    const client = variant === 'erl-redis' ? redis() : undefined;
    app.use(
      rateLimit({
        windowMs: 60_000,
        limit: LIMIT,
        standardHeaders: 'draft-8',
        legacyHeaders: false,
        ...(client && {
          store: new RateLimitRedisStore({ prefix, sendCommand: (command: string, ...args: string[]) => client.call(command, ...args) as Promise<RedisReply> }),
        }),
      }),
    );
  } else if (variant === 'rlf-memory' || variant === 'rlf-redis') {
    const limiter =
      variant === 'rlf-redis'
        ? new RateLimiterRedis({ storeClient: redis(), keyPrefix: prefix, points: LIMIT, duration: 60 })
        : new RateLimiterMemory({ points: LIMIT, duration: 60 });
    // The middleware of the library's own guide: consume one point per request, 429 when refused.
    app.use((req: Request, res: Response, next: NextFunction) => {
      limiter.consume(req.ip ?? 'unknown').then(
        () => next(),
        () => res.status(429).send('Too Many Requests'),
      );
    });
  } else if (variant !== 'plain') throw new Error(`unknown variant ${variant}`);
  app.post('/v1/predict', express.json(), async (req, res) => {
    const inputs = (req.body as { inputs?: number[][] } | undefined)?.inputs;
    // autocannon's last requests of a run can arrive cut off: answer them, not crash.
    if (inputs === undefined) return void res.status(400).json({ error: 'no inputs' });
    res.json({ predictions: await model.predict(inputs) });
  });
  const server = createServer(app);
  server.listen(0, '127.0.0.1', () => process.stdout.write(`http://127.0.0.1:${(server.address() as AddressInfo).port}\n`));
}
