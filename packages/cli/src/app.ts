/**
 * The `bulwark serve` HTTP contract, on Express or on Hono, over the same core endpoint:
 *
 *   POST /v1/predict  {"inputs": number[] | number[][]} → {"predictions":[{"label", "scores"?}]}
 *   GET  /healthz     {"status":"ok"}
 *   GET  /v1/model    the model's description (no weights)
 *   anything else     404 not_found / 405 method_not_allowed, as JSON errors
 */
import type { RequestListener } from 'node:http';
import {
  BulwarkError,
  createPrincipalResolver,
  type EndpointOptions,
  type EndpointResponse,
  errorResponse,
  isBulwarkError,
  type PredictGuarded,
  type RequestIdentity,
  randomRequestId,
} from '@bulwark/core';
import * as bulwarkExpress from '@bulwark/express';
import * as bulwarkHono from '@bulwark/hono';
import { getRequestListener } from '@hono/node-server';
import express from 'express';
import { Hono } from 'hono';

export type Framework = 'express' | 'hono';

export interface AppOptions {
  readonly guarded: PredictGuarded;
  readonly endpoint: EndpointOptions;
  /** Served at GET /v1/model, to callers predict would accept (same auth). */
  readonly modelDescription: unknown;
}

/** GET /v1/model: the same authentication as predict (a listed key when keys are required). */
function describeModel(o: AppOptions): (req: RequestIdentity) => EndpointResponse {
  const resolve = o.endpoint.resolvePrincipal ?? createPrincipalResolver(o.endpoint);
  return (req) => {
    try {
      resolve(req);
    } catch (err) {
      if (isBulwarkError(err)) return refused(err);
      return errorResponse(err);
    }
    return ok(o.modelDescription);
  };
}

const ROUTES: Record<string, string> = { '/v1/predict': 'POST', '/healthz': 'GET', '/v1/model': 'GET' };

/** An error answer with a fresh request id (every response carries one). */
function refused(e: BulwarkError): EndpointResponse {
  e.requestId = randomRequestId();
  return errorResponse(e);
}

/** A JSON answer with a request id. */
function ok(body: unknown): EndpointResponse {
  return { status: 200, headers: { 'content-type': 'application/json; charset=utf-8', 'x-request-id': randomRequestId() }, body };
}

/** 404 or 405 for a request no route took. */
function unmatched(method: string, path: string): EndpointResponse {
  const allowed = ROUTES[path];
  if (allowed === undefined) return refused(new BulwarkError('not_found', `no route ${path}`));
  const r = refused(new BulwarkError('method_not_allowed', `${path} accepts ${allowed} only (received ${method})`));
  return { ...r, headers: { ...r.headers, allow: allowed } };
}

export function expressApp(o: AppOptions): RequestListener {
  const app = express();
  app.disable('x-powered-by');
  app.set('env', 'production'); // no stack traces in Express's own error pages
  app.post('/v1/predict', bulwarkExpress.predictHandler(o.guarded, o.endpoint));
  app.get('/healthz', (_req, res) => {
    const r = ok({ status: 'ok' });
    res.status(r.status).set(r.headers).send(JSON.stringify(r.body));
  });
  const model = describeModel(o);
  app.get('/v1/model', (req, res) => {
    const r = model({ header: (n) => req.get(n), remoteAddress: req.socket.remoteAddress });
    res.status(r.status).set(r.headers).send(JSON.stringify(r.body));
  });
  app.use((req, res) => {
    const r = unmatched(req.method, req.path);
    res.status(r.status).set(r.headers).send(JSON.stringify(r.body));
  });
  app.use(((err, _req, res, _next) => {
    const r = isBulwarkError(err) ? refused(err) : errorResponse(err);
    res.status(r.status).set(r.headers).send(JSON.stringify(r.body));
  }) as express.ErrorRequestHandler);
  return app as unknown as RequestListener;
}

export function honoApp(o: AppOptions): RequestListener {
  const app = new Hono();
  // serve owns the whole app (no middleware after the handler): the answer can be written directly.
  app.post('/v1/predict', bulwarkHono.predictHandler(o.guarded, { ...o.endpoint, direct: true }));
  app.get('/healthz', (c) => {
    const r = ok({ status: 'ok' });
    return c.body(JSON.stringify(r.body), 200, r.headers);
  });
  const model = describeModel(o);
  app.get('/v1/model', (c) => {
    const incoming = (c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined)?.incoming;
    const r = model({ header: (n) => c.req.header(n), remoteAddress: incoming?.socket?.remoteAddress });
    return c.body(JSON.stringify(r.body), r.status as 200, r.headers);
  });
  app.notFound((c) => {
    const r = unmatched(c.req.method, c.req.path);
    return c.body(JSON.stringify(r.body), r.status as 404, r.headers);
  });
  app.onError(bulwarkHono.errorHandler);
  return getRequestListener(app.fetch);
}
