/**
 * `pnpm redteam`: the red-team scenarios of the hardening pass, against `bulwark serve` in its own
 * process on loopback, with figures written to docs/security.json and the generated section of
 * docs/security.md. The same scenarios run, shorter, as regression tests (test/e2e/hardening.test.ts).
 *
 *   minting   a client sends a new made-up API key with every request, no keys listed
 *   flood     new identities (X-Forwarded-For behind a trusted proxy) fill a MemoryStore while a
 *             known caller is measured: latency idle vs during the flood, refusals of new callers
 *   stall     Redis answers one decision late (a TCP proxy holds the reply): how long an honest
 *             caller with a concurrency cap of 1 stays locked out
 *   linger    Python's urllib (writes the whole body, then reads) posts bodies over the limit
 *
 * `--quick` runs smaller numbers and records nothing.
 */

import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { connect, createServer, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { machine, median } from './bench/stats.js';
import { fillSections } from './lib/generated.js';

const quick = process.argv.includes('--quick');
const out = (s: string) => process.stdout.write(`${s}\n`);
const ROW = [120, 3, 0.4, 12, 1, 0, 0, 400];
const BODY = JSON.stringify({ inputs: [ROW] });
const here = fileURLToPath(new URL('.', import.meta.url));

async function server(policy: object, framework = 'hono'): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, ['--import', 'tsx', `${here}redteam/server.ts`, JSON.stringify(policy), framework], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr?.on('data', (d) => {
    err += d;
  });
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout?.once('data', (d) => resolve(String(d).trim()));
    child.once('exit', (code) => reject(new Error(`server exited ${code}: ${err}`)));
  });
  return { url, child };
}
function stop(c: ChildProcess): Promise<void> {
  return new Promise<void>((r) => {
    if (c.exitCode !== null) return r();
    c.once('exit', () => r());
    c.kill('SIGTERM');
  });
}

function post(url: string, headers: Record<string, string> = {}): Promise<{ status: number; ms: number }> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    const req = request(`${url}/v1/predict`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers } }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - t0 }));
    });
    req.on('error', () => resolve({ status: 0, ms: performance.now() - t0 }));
    req.end(BODY);
  });
}
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))] ?? 0;

async function minting() {
  out('minting: a new made-up API key per request, no keys listed…');
  const s = await server({ version: 1, guards: [{ use: 'budget', with: { tiers: { default: { quotas: [{ limit: 40, per: 'day' }] } } } }] });
  const n = quick ? 100 : 500;
  let answered = 0;
  for (let i = 0; i < n; i++) if ((await post(s.url, { 'x-api-key': `minted-${i}-${Math.floor(performance.now())}` })).status === 200) answered++;
  await stop(s.child);
  return { requests: n, answered, quotaRows: 10, note: 'quota 40 units a day; a raw row weighs 4' };
}

async function flood() {
  const maxKeys = quick ? 2000 : 20_000;
  out(`flood: ${maxKeys + maxKeys / 4} new identities into a MemoryStore of ${maxKeys} counters…`);
  const s = await server({
    version: 1,
    principal: { trustedProxies: 1 },
    stores: { local: { type: 'memory', maxKeys } },
    guards: [{ use: 'budget', with: { store: 'local', tiers: { default: { quotas: [{ limit: 1_000_000_000, per: 'day' }] } } } }],
  });
  const known = { 'x-forwarded-for': '192.0.2.10' };
  /** The known caller, one request every 10 ms for `seconds`: latency percentiles. */
  const sample = async (seconds: number) => {
    const ms: number[] = [];
    let bad = 0;
    const end = performance.now() + seconds * 1000;
    while (performance.now() < end) {
      const r = await post(s.url, known);
      ms.push(r.ms);
      if (r.status !== 200) bad++;
      await new Promise((res) => setTimeout(res, 10));
    }
    return { n: ms.length, p50: median(ms), p99: pct(ms, 0.99), refused: bad };
  };
  await sample(1); // warm-up
  const idle = await sample(quick ? 2 : 5);
  // Fill the store with new identities, 16 at a time.
  let next = 0;
  const addr = (i: number) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
  const fillStatuses: Record<number, number> = {};
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < maxKeys + maxKeys / 4) {
        const r = await post(s.url, { 'x-forwarded-for': addr(next++) });
        fillStatuses[r.status] = (fillStatuses[r.status] ?? 0) + 1;
      }
    }),
  );
  // Then keep flooding at a fixed rate while the known caller is measured.
  const rate = 500;
  let flooding = true;
  const newcomer: Record<number, number> = {};
  const pump = (async () => {
    const t0 = performance.now();
    let sent = 0;
    const inflight: Promise<unknown>[] = [];
    while (flooding) {
      const due = Math.floor(((performance.now() - t0) / 1000) * rate);
      while (sent < due) {
        inflight.push(
          post(s.url, { 'x-forwarded-for': addr(next++) }).then((r) => {
            newcomer[r.status] = (newcomer[r.status] ?? 0) + 1;
          }),
        );
        sent++;
      }
      await new Promise((r) => setTimeout(r, 5));
    }
    await Promise.all(inflight);
  })();
  const during = await sample(quick ? 2 : 5);
  flooding = false;
  await pump;
  await stop(s.child);
  return { maxKeys, idle, during, ratioP50: during.p50 / idle.p50, fillStatuses, newcomerStatusesDuringFlood: newcomer, floodRate: rate };
}

/** A TCP proxy to Redis that can hold back the next reply for `ms`. */
async function stallingProxy(target: number) {
  let holdNext = 0;
  const server = createServer((client: Socket) => {
    const upstream = connect(target, '127.0.0.1');
    client.pipe(upstream);
    upstream.on('data', (d) => {
      if (holdNext > 0) {
        const wait = holdNext;
        holdNext = 0;
        upstream.pause();
        setTimeout(() => {
          client.write(d);
          upstream.resume();
        }, wait);
      } else client.write(d);
    });
    const close = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', close);
    upstream.on('error', close);
    client.on('close', close);
    upstream.on('close', close);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as { port: number }).port,
    hold: (ms: number) => {
      holdNext = ms;
    },
    close: () => server.close(),
  };
}

async function stall() {
  out('stall: Redis answers one decision 400 ms late…');
  const redisPort = Number(new URL(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379').port || 6379);
  const proxy = await stallingProxy(redisPort);
  const key = 'sk_redteam_honest';
  const s = await server({
    version: 1,
    auth: { apiKeys: [{ name: 'honest', sha256: createHash('sha256').update(key).digest('hex') }] },
    stores: { shared: { type: 'redis', url: `redis://127.0.0.1:${proxy.port}`, prefix: `redteam:${Date.now()}:` } },
    guards: [
      { use: 'budget', with: { store: 'shared', storeTimeoutMs: 100, tiers: { default: { concurrency: 1, quotas: [{ limit: 1_000_000_000, per: 'day' }] } } } },
    ],
  });
  const h = { 'x-api-key': key };
  for (let i = 0; i < 5; i++) await post(s.url, h); // connected and warm
  proxy.hold(400);
  const first = await post(s.url, h);
  const t0 = performance.now();
  const cap = quick ? 5_000 : 20_000;
  let lockedOutMs = -1;
  while (performance.now() - t0 < cap) {
    if ((await post(s.url, h)).status === 200) {
      lockedOutMs = performance.now() - t0;
      break;
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  await stop(s.child);
  proxy.close();
  return { stalledStatus: first.status, lockedOutMs: lockedOutMs === -1 ? `> ${cap}` : Math.round(lockedOutMs), capMs: cap, stallMs: 400 };
}

async function lingerScenario() {
  out('linger: Python urllib posts bodies over the limit…');
  const results: Record<string, string> = {};
  for (const framework of ['hono', 'express']) {
    const s = await server({ version: 1, limits: { maxBodyBytes: 64 * 1024 } }, framework);
    for (const mb of [1, 8]) {
      const py = `
import urllib.request, urllib.error
req = urllib.request.Request("${s.url}/v1/predict", data=b"1" * (${mb} * 1024 * 1024), headers={"content-type": "application/json"})
try:
    urllib.request.urlopen(req, timeout=30)
    print("200")
except urllib.error.HTTPError as e:
    print(e.code)
except Exception as e:
    print(type(e).__name__)
`;
      const r = spawnSync('python3', ['-c', py], { encoding: 'utf8' });
      results[`${framework}, ${mb} MiB`] = (r.stdout || r.stderr).trim().split('\n').pop() ?? '';
    }
    await stop(s.child);
  }
  return results;
}

const results = {
  date: new Date().toISOString(),
  machine: machine(),
  quick,
  minting: await minting(),
  flood: await flood(),
  stall: await stall(),
  linger: await lingerScenario(),
};
out(JSON.stringify(results, null, 2));

if (!quick) {
  const docs = fileURLToPath(new URL('../docs/', import.meta.url));
  writeFileSync(`${docs}security.json`, `${JSON.stringify(results, null, 2)}\n`);
  const f = results.flood;
  const table = [
    `Run ${results.date.slice(0, 10)} on ${results.machine}.`,
    '',
    '| scenario | measure | result |',
    '|---|---|---:|',
    `| key minting | answers to one client sending a new made-up key each time, ${results.minting.requests} requests, quota ${results.minting.quotaRows} rows a day | ${results.minting.answered} |`,
    `| store flood | known caller p50 latency, idle → while new identities flood a full MemoryStore of ${f.maxKeys} counters at ${f.floodRate} req/s | ${f.idle.p50.toFixed(2)} → ${f.during.p50.toFixed(2)} ms (× ${f.ratioP50.toFixed(2)}) |`,
    `| store flood | known caller p99 latency, idle → flood | ${f.idle.p99.toFixed(2)} → ${f.during.p99.toFixed(2)} ms |`,
    `| store flood | answers to new callers while the store is full (status: count) | ${Object.entries(f.newcomerStatusesDuringFlood)
      .map(([k, v]) => `${k}: ${v}`)
      .join(', ')} |`,
    `| Redis stall | time an honest caller (concurrency 1) is refused after one decision answered ${results.stall.stallMs} ms late (storeTimeoutMs 100) | ${results.stall.lockedOutMs} ms |`,
    ...Object.entries(results.linger).map(([k, v]) => `| oversized body | what Python urllib (writes all, then reads) sees, ${k} over a 64 KiB limit | ${v} |`),
  ].join('\n');
  const mdPath = `${docs}security.md`;
  fillSections(mdPath, { redteam: table });
  out(`recorded in ${mdPath}`);
}
