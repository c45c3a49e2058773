/**
 * Targets over HTTP: the `bulwark serve` contract by default, or any JSON API through a mapping.
 */
import { request } from 'node:http';
import { request as requestTls } from 'node:https';
import type { Answer, Reply, Transport } from './target.js';

export interface HttpMapping {
  /** Path appended to the base URL (default `/v1/predict`). */
  readonly path?: string;
  /** The JSON body for a batch (default `{"inputs": rows}`). */
  readonly body?: (rows: readonly (readonly number[])[]) => unknown;
  /** The answers in a 2xx JSON body (default `body.predictions`). */
  readonly answers?: (body: unknown) => Answer[];
  /** Extra headers for every request. */
  readonly headers?: Readonly<Record<string, string>>;
  /** Header that carries the key (default `x-api-key`). */
  readonly keyHeader?: string;
}

type Response = { status: number; headers: Record<string, unknown>; text: string };

function post(url: URL, headers: Record<string, string>, body: string, resent = false): Promise<Response> {
  const fn = url.protocol === 'https:' ? requestTls : request;
  return new Promise((resolve, reject) => {
    const req = fn(url, { method: 'POST', headers: { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', (err: NodeJS.ErrnoException) => {
      // A kept-alive socket the server closed as idle just as this request went out on it (Node's
      // documented keep-alive race): the server never read the request, so it is sent again once,
      // on a fresh socket, rather than counted as a transport error. Long pauses between queries
      // (surrogate training on a slow machine) made this change a run's report at random.
      if (!resent && req.reusedSocket && err.code === 'ECONNRESET') post(url, headers, body, true).then(resolve, reject);
      else reject(err);
    });
    req.end(body);
  });
}

export function httpTransport(baseUrl: string, mapping: HttpMapping = {}): Transport {
  const url = new URL(`${baseUrl.replace(/\/+$/, '')}${mapping.path ?? '/v1/predict'}`);
  const keyHeader = mapping.keyHeader ?? 'x-api-key';
  const toBody = mapping.body ?? ((rows) => ({ inputs: rows }));
  const toAnswers = mapping.answers ?? ((b) => (b as { predictions: Answer[] }).predictions);
  return async (rows, key, address): Promise<Reply> => {
    const headers: Record<string, string> = { ...mapping.headers };
    if (key !== undefined) headers[keyHeader] = key;
    // Only a server behind a proxy it trusts reads this; against others it is ignored or refused.
    if (address !== undefined) headers['x-forwarded-for'] = address;
    const res = await post(url, headers, JSON.stringify(toBody(rows)));
    let json: unknown;
    try {
      json = JSON.parse(res.text);
    } catch {
      json = undefined;
    }
    if (res.status >= 200 && res.status < 300) return { ok: true, answers: toAnswers(json) };
    const retry = Number(res.headers['retry-after']);
    const code = (json as { error?: { code?: string } } | undefined)?.error?.code ?? `http_${res.status}`;
    return { ok: false, status: res.status, code, retryAfterSeconds: Number.isFinite(retry) ? retry : undefined };
  };
}
