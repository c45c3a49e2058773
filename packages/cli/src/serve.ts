/**
 * `bulwark serve`, as a function: load the model and policy, build the guard pipeline, and serve
 * the HTTP contract with Node's timeouts set. Used by the CLI, the demo, the tests and the benchmarks.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  createBulwark,
  type Decision,
  type DecisionInfo,
  guardsFromPolicy,
  type Logger,
  loadPolicy,
  type Policy,
  processLogger,
  resolvePolicy,
  storesFromPolicy,
} from '@bulwark/core';
import { loadOnnxClassifier, type OnnxClassifier } from '@bulwark/onnx';
import { RedisStore } from '@bulwark/redis-store';
import { Redis } from 'ioredis';
import { expressApp, type Framework, honoApp } from './app.js';

export interface ServeOptions {
  /** Path of the ONNX classifier. */
  readonly model: string;
  /** Path of a JSON/YAML policy file, or a policy document (plugins resolve against `baseDir`). */
  readonly policy?: string | object | undefined;
  /** Where a policy document's relative paths resolve (default: the working directory). */
  readonly baseDir?: string | undefined;
  /** Warnings and start-up notes (default: process warnings). */
  readonly logger?: Logger | undefined;
  readonly port?: number | undefined;
  readonly host?: string | undefined;
  readonly framework?: Framework | undefined;
  /** Refuse to start unless the model's sha256 matches. */
  readonly modelSha256?: string | undefined;
  /** Shared HMAC key for caller hashes (env BULWARK_PRINCIPAL_SECRET in the CLI). */
  readonly principalSecret?: string | undefined;
  readonly onDecision?: ((d: Decision, info: DecisionInfo) => void) | undefined;
}

export interface RunningServer {
  readonly url: string;
  readonly server: Server;
  readonly model: OnnxClassifier;
  readonly policy: Policy;
  /** Stops accepting connections, lets in-flight requests finish, then releases the model. */
  close(): Promise<void>;
}

/** Node's defaults are for servers behind a proxy; these hold without one (slowloris, CVE-2018-12122). */
const SERVER_TIMEOUTS = { headersTimeout: 10_000, requestTimeout: 30_000, keepAliveTimeout: 5_000, maxHeaderSize: 16_384 };

export async function startServer(options: ServeOptions): Promise<RunningServer> {
  const policy: Policy =
    typeof options.policy === 'string' ? await loadPolicy(options.policy) : await resolvePolicy(options.policy ?? { version: 1 }, { baseDir: options.baseDir });
  // Redis clients fail fast while Redis is down (the budget guard's failure policy decides) and
  // reconnect on their own.
  const stores = storesFromPolicy(policy, {
    redis: (spec) => {
      const client = new Redis(spec.url, { enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: (n) => Math.min(50 * n, 1000) });
      client.on('error', () => {}); // outages surface as store_unavailable decisions, not crashes
      return new RedisStore({ client, prefix: spec.prefix });
    },
  });
  const model = await loadOnnxClassifier(options.model, {
    name: policy.model?.name,
    version: policy.model?.version,
    expectedSha256: options.modelSha256,
  });
  // Guards are built after the model is loaded: each can check its options against the model's
  // shape (a profile of 30 features on a 64-feature model is a configuration error, not a runtime one).
  let guards: ReturnType<typeof guardsFromPolicy>;
  try {
    guards = guardsFromPolicy(policy, { model: model.descriptor, stores, logger: options.logger ?? processLogger });
  } catch (err) {
    await model.close();
    await Promise.allSettled(Object.values(stores).map((st) => st.close?.()));
    throw err;
  }
  const bulwark = createBulwark({
    mode: policy.mode,
    model: model.descriptor,
    guards,
    principalSecret: options.principalSecret,
    telemetry: { captureContent: policy.telemetry?.captureContent },
    onDecision: options.onDecision,
  });
  const guarded = bulwark.wrap((rows: number[][]) => model.predict(rows), { validateInput: (rows) => model.validate(rows) });
  const app = {
    guarded,
    endpoint: {
      apiKeys: policy.auth?.apiKeys,
      requireApiKey: policy.auth?.requireApiKey,
      ipv6Subnet: policy.principal?.ipv6Subnet,
      trustedProxies: policy.principal?.trustedProxies,
      limits: { ...policy.limits, maxRows: Math.min(policy.limits?.maxRows ?? 1024, 1024) },
    },
    modelDescription: {
      name: model.descriptor.name,
      version: model.descriptor.version ?? null,
      sha256: model.descriptor.digest,
      inputs: model.info.inputs,
      outputs: model.info.outputs,
      features: model.info.features,
      classes: model.info.classes,
      scores: model.info.scores,
      guards: bulwark.guards,
      mode: bulwark.mode,
    },
  };
  const listener = (options.framework ?? 'hono') === 'express' ? expressApp(app) : honoApp(app);
  const server = createServer(SERVER_TIMEOUTS, listener);
  server.keepAliveTimeout = SERVER_TIMEOUTS.keepAliveTimeout;
  server.maxHeadersCount = 100;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 8080, options.host ?? '127.0.0.1', () => resolve());
  });
  const addr = server.address() as AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${host}:${addr.port}`,
    server,
    model,
    policy,
    close() {
      closing ??= (async () => {
        await new Promise<void>((resolve) => {
          // close() waits for in-flight requests; kept-alive sockets that go idle after their
          // request finishes are closed as they do, not after keepAliveTimeout.
          const sweep = setInterval(() => server.closeIdleConnections(), 50);
          server.close(() => {
            clearInterval(sweep);
            resolve();
          });
          server.closeIdleConnections();
        });
        await bulwark.close();
        await model.close();
        await Promise.allSettled(Object.values(stores).map((st) => st.close?.()));
      })();
      return closing;
    },
  };
}
