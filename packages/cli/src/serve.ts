/**
 * `bulwark serve`, as a function: load the model and policy, build the guard pipeline, and serve
 * the HTTP contract with Node's timeouts set. Used by the CLI, the demo, the tests and the benchmarks.
 */
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  ConfigError,
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
import { context, propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import {
  ATTR_ERROR_TYPE,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_HTTP_ROUTE,
  ATTR_NETWORK_PROTOCOL_VERSION,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  ATTR_URL_PATH,
  ATTR_URL_SCHEME,
} from '@opentelemetry/semantic-conventions';
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
  /**
   * Record an HTTP server span per request (HTTP semantic conventions), with Bulwark's span inside
   * it and an incoming `traceparent` as its parent. Set when an OpenTelemetry SDK is installed.
   */
  readonly httpSpans?: boolean | undefined;
  /** Node server timeouts, ms (defaults: headers 10 s, request 30 s, keep-alive 5 s). */
  readonly timeouts?: { readonly headersTimeout?: number; readonly requestTimeout?: number; readonly keepAliveTimeout?: number } | undefined;
  readonly port?: number | undefined;
  readonly host?: string | undefined;
  readonly framework?: Framework | undefined;
  /** Refuse to start unless the model's sha256 matches. */
  readonly modelSha256?: string | undefined;
  /** How the model file is verified before loading: signature key, external data, canary (see @bulwark/onnx). */
  readonly verify?: Omit<import('@bulwark/onnx').VerifyOptions, 'expectedSha256'> | undefined;
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
const SERVER_TIMEOUTS = { headersTimeout: 10_000, requestTimeout: 30_000, keepAliveTimeout: 5_000 };
const MAX_HEADER_SIZE = 16_384;

const ROUTES = new Set(['/v1/predict', '/v1/model', '/healthz']);
const METHODS = new Set(['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS', 'CONNECT', 'TRACE']);

/**
 * An HTTP server span per request, per the OpenTelemetry HTTP semantic conventions: named
 * `METHOD route`, kind SERVER, a child of the incoming `traceparent`, with Bulwark's own span
 * inside it (the request runs in its context). 5xx answers set the error status; 4xx do not (a
 * refusal is the server working). No client address or user agent: they identify people.
 */
function withHttpSpans(listener: RequestListener): RequestListener {
  const tracer = trace.getTracer('@bulwark/cli');
  return (req, res) => {
    const path = (req.url ?? '/').split('?', 1)[0] as string;
    const route = ROUTES.has(path) ? path : undefined;
    const method = METHODS.has(req.method ?? '') ? (req.method as string) : '_OTHER';
    const parent = propagation.extract(context.active(), req.headers);
    const addr = req.socket.localAddress;
    const span = tracer.startSpan(
      route === undefined ? method : `${method} ${route}`,
      {
        kind: SpanKind.SERVER,
        attributes: {
          [ATTR_HTTP_REQUEST_METHOD]: method,
          // The path only when it is a route: an unmatched path is the caller's text (and cardinality).
          ...(route === undefined ? {} : { [ATTR_URL_PATH]: route }),
          [ATTR_URL_SCHEME]: 'http',
          [ATTR_NETWORK_PROTOCOL_VERSION]: req.httpVersion,
          ...(route === undefined ? {} : { [ATTR_HTTP_ROUTE]: route }),
          ...(addr === undefined ? {} : { [ATTR_SERVER_ADDRESS]: addr, [ATTR_SERVER_PORT]: req.socket.localPort ?? 0 }),
        },
      },
      parent,
    );
    res.once('close', () => {
      span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, res.statusCode);
      if (res.statusCode >= 500) {
        span.setStatus({ code: SpanStatusCode.ERROR });
        span.setAttribute(ATTR_ERROR_TYPE, String(res.statusCode));
      }
      span.end();
    });
    context.with(trace.setSpan(parent, span), () => listener(req, res));
  };
}

/** Start-up warnings about who the server believes callers are. */
function warnAboutIdentity(policy: Policy, logger: Logger): void {
  const budgets = (policy.guards ?? []).some((g) => g.use === 'budget');
  if (budgets && (policy.auth?.apiKeys ?? []).length === 0) {
    logger.warn(
      'budgets key callers by address (no API keys are listed, so presented keys are ignored): clients behind one address share a budget, and IPv6 clients are keyed by /56',
      { code: 'BULWARK_ADDRESS_IDENTITY' },
    );
  }
  const proxies = policy.principal?.trustedProxies;
  if (typeof proxies === 'number' && proxies > 0) {
    logger.warn(
      `X-Forwarded-For is trusted for ${proxies} proxy hop(s): a client that reaches the server directly can claim any address; list the proxies' address ranges instead (principal.trustedProxies: ['10.0.0.0/8'])`,
      { code: 'BULWARK_TRUSTED_PROXY_COUNT' },
    );
  }
}

export async function startServer(options: ServeOptions): Promise<RunningServer> {
  const policy: Policy =
    typeof options.policy === 'string' ? await loadPolicy(options.policy) : await resolvePolicy(options.policy ?? { version: 1 }, { baseDir: options.baseDir });
  const logger = options.logger ?? processLogger;
  // Caller hashes are the store keys: a per-process random secret would reset every shared budget
  // (and privacy ledger) at each restart, and give each replica its own count of a caller.
  const shared = Object.entries(policy.stores ?? {}).filter(([, spec]) => spec.type !== 'memory');
  if (shared.length > 0 && options.principalSecret === undefined) {
    throw new ConfigError(
      [
        {
          code: 'missing_key',
          path: 'BULWARK_PRINCIPAL_SECRET',
          rule: `is required with a shared store (${shared.map(([n]) => n).join(', ')}): without it caller hashes change at every restart, resetting the budgets it holds. Set it to the same 32+ random bytes on every replica`,
          received: 'unset',
        },
      ],
      'bulwark serve',
    );
  }
  warnAboutIdentity(policy, logger);
  // Redis clients fail fast while Redis is down (the budget guard's failure policy decides) and
  // reconnect on their own.
  const stores = storesFromPolicy(policy, {
    redis: (spec) => {
      const client = new Redis(spec.url, {
        enableAutoPipelining: true,
        enableOfflineQueue: false,
        maxRetriesPerRequest: 0,
        retryStrategy: (n) => Math.min(50 * n, 1000),
      });
      client.on('error', () => {}); // outages surface as store_unavailable decisions, not crashes
      return new RedisStore({ client, prefix: spec.prefix });
    },
  });
  const model = await loadOnnxClassifier(options.model, {
    ...options.verify,
    name: policy.model?.name,
    version: policy.model?.version,
    expectedSha256: options.modelSha256,
  });
  // Guards are built after the model is loaded: each can check its options against the model's
  // shape (a profile of 30 features on a 64-feature model is a configuration error, not a runtime one).
  let guards: ReturnType<typeof guardsFromPolicy>;
  try {
    guards = guardsFromPolicy(policy, { model: model.descriptor, stores, logger, infer: (rows) => model.predict(rows) });
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
      limits: {
        maxBodyBytes: policy.limits?.maxBodyBytes,
        maxDepth: policy.limits?.maxDepth,
        maxElements: policy.limits?.maxElements,
        maxRows: Math.min(policy.limits?.maxRows ?? 1024, 1024),
      },
      refusedRequests: policy.limits?.refusedRequests,
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
    },
  };
  const framework = (options.framework ?? 'hono') === 'express' ? expressApp(app) : honoApp(app);
  const listener = options.httpSpans ? withHttpSpans(framework) : framework;
  const timeouts = { ...SERVER_TIMEOUTS, ...options.timeouts };
  const server = createServer(
    {
      ...timeouts,
      maxHeaderSize: MAX_HEADER_SIZE,
      // Node checks header and request timeouts every 30 s by default, so they fire up to 30 s
      // late; checking every second (or faster for shorter timeouts) makes them hold.
      connectionsCheckingInterval: Math.max(100, Math.min(1000, Math.floor(Math.min(timeouts.headersTimeout, timeouts.requestTimeout) / 4))),
    },
    listener,
  );
  server.keepAliveTimeout = timeouts.keepAliveTimeout;
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
