/**
 * (b) HTTP throughput and latency, guarded (bulwark serve, empty policy) against unguarded (same
 * framework, same model), in the same run. Servers run in child processes; autocannon loads them
 * from this process. Guarded and unguarded runs alternate, several rounds each, and the medians
 * are compared.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { fraudData } from '@bulwark/models';
import autocannon from 'autocannon';
import { median } from './stats.js';

const SERVER = fileURLToPath(new URL('./http-server.ts', import.meta.url));
const TSX = fileURLToPath(new URL('../../node_modules/tsx/dist/cli.mjs', import.meta.url));

export async function spawnServer(framework: string, variant: string): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, [TSX, SERVER, framework, variant], { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout?.once('data', (d: Buffer) => resolve(d.toString().trim()));
    child.once('exit', (c) => reject(new Error(`server exited ${c}`)));
  });
  return { url, child };
}

export interface HttpRow {
  framework: string;
  variant: string;
  rps: number;
  p50ms: number;
  p99ms: number;
}

export async function benchHttp(quick = false): Promise<{
  rows: HttpRow[];
  ratios: Record<string, number>;
  leanRatios: Record<string, number>;
  fixedRate: { variant: string; p50ms: number; p99ms: number; p999ms: number }[];
}> {
  const body = JSON.stringify({ inputs: [fraudData().test.x[0]] });
  const duration = quick ? 2 : 8;
  const rounds = quick ? 1 : 3;
  const rows: HttpRow[] = [];
  const ratios: Record<string, number> = {};
  const leanRatios: Record<string, number> = {};
  const fixedRate: { variant: string; p50ms: number; p99ms: number; p999ms: number }[] = [];
  for (const framework of ['express', 'hono']) {
    const variants = framework === 'hono' ? ['unguarded', 'lean', 'guarded', 'budget-memory', 'budget-redis'] : ['unguarded', 'lean', 'guarded'];
    const servers: Record<string, { url: string; child: ChildProcess }> = {};
    for (const v of variants) servers[v] = await spawnServer(framework, v);
    const samples: Record<string, { rps: number[]; p50: number[]; p99: number[] }> = {};
    for (let r = 0; r < rounds + 1; r++) {
      for (const variant of variants) {
        const res = await autocannon({
          url: `${servers[variant]?.url}/v1/predict`,
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-api-key': 'bench-key' },
          body,
          connections: 16,
          duration,
        });
        if (res.non2xx > 0 || res.errors > 0) throw new Error(`${framework}/${variant}: ${res.non2xx} non-2xx, ${res.errors} errors`);
        if (r === 0) continue; // the first round warms up both servers
        samples[variant] ??= { rps: [], p50: [], p99: [] };
        const s = samples[variant];
        s.rps.push(res.requests.average);
        s.p50.push(res.latency.p50);
        s.p99.push(res.latency.p99);
      }
    }
    for (const variant of variants) {
      const s = samples[variant];
      if (s) rows.push({ framework, variant, rps: median(s.rps), p50ms: median(s.p50), p99ms: median(s.p99) });
    }
    const g = rows.find((x) => x.framework === framework && x.variant === 'guarded');
    const u = rows.find((x) => x.framework === framework && x.variant === 'unguarded');
    const l = rows.find((x) => x.framework === framework && x.variant === 'lean');
    if (g && u) ratios[framework] = g.rps / u.rps;
    if (g && l) leanRatios[framework] = g.rps / l.rps;
    // Latency at a fixed rate below saturation (1,000 req/s), where it is not queueing: what a
    // budget adds to each request.
    if (framework === 'hono') {
      for (const variant of ['guarded', 'budget-memory', 'budget-redis']) {
        const res = await autocannon({
          url: `${servers[variant]?.url}/v1/predict`,
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-api-key': 'bench-key' },
          body,
          connections: 8,
          overallRate: 1000,
          duration: quick ? 2 : 8,
        });
        fixedRate.push({ variant, p50ms: res.latency.p50, p99ms: res.latency.p99, p999ms: res.latency.p99_9 ?? res.latency.p99 });
      }
    }
    for (const s of Object.values(servers)) s.child.kill('SIGTERM');
  }
  return { rows, ratios, leanRatios, fixedRate };
}
