/**
 * (b) HTTP throughput and latency, guarded (bulwark serve, empty policy) against unguarded (same
 * framework, same model), in the same run. Servers run in child processes; autocannon loads them
 * from this process. Guarded and unguarded runs alternate, several rounds each, and the medians
 * are compared.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { fraudData } from '@bulwark/models';
import autocannon from 'autocannon';
import { median } from './stats.js';

const SERVER = fileURLToPath(new URL('./http-server.ts', import.meta.url));

/** Core pinning (Linux, taskset available, ≥ 2 cores): servers on the last core, this process on the others. */
const PIN = (() => {
  const cores = cpus().length;
  if (cores < 2 || process.platform !== 'linux' || spawnSync('taskset', ['-V']).status !== 0) return undefined;
  return { server: cores - 1, load: `0-${cores - 2}` };
})();

/** Pins this process (the load generator) away from the servers' core. */
export function pinLoadGenerator(): string {
  if (PIN === undefined) return 'not pinned';
  spawnSync('taskset', ['-a', '-p', '-c', PIN.load, String(process.pid)]);
  return `servers on core ${PIN.server}, load generator on ${PIN.load}`;
}

/**
 * A server in its own process, on the *built* packages (what users run): the `bulwark-dist`
 * export condition points @bulwark/* at dist/ (run `pnpm build` first; `pnpm bench` does). Only
 * this script goes through tsx, in process (no extra child).
 */
export async function spawnServer(framework: string, variant: string, script = SERVER, pin = true): Promise<{ url: string; child: ChildProcess }> {
  const args = ['--conditions=bulwark-dist', '--import', 'tsx', script, ...(script === SERVER ? [framework] : []), variant];
  // On a machine of several cores, servers run on the last core and the load generator elsewhere
  // (see pinLoadGenerator): on 2 cores, sharing them made run-to-run noise as large as the effects measured.
  const child =
    PIN && pin
      ? spawn('taskset', ['-c', String(PIN.server), process.execPath, ...args], { stdio: ['ignore', 'pipe', 'inherit'] })
      : spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout?.once('data', (d: Buffer) => resolve(d.toString().trim()));
    child.once('exit', (c) => reject(new Error(`server exited ${c}`)));
  });
  return { url, child };
}

/** One autocannon run against a server's predict endpoint (16 connections); throws on any error or non-2xx answer. */
export async function loadPredict(url: string, body: string, duration: number, label: string): Promise<autocannon.Result> {
  const res = await autocannon({ url: `${url}/v1/predict`, method: 'POST', headers: { 'content-type': 'application/json' }, body, connections: 16, duration });
  if (res.non2xx > 0 || res.errors > 0) throw new Error(`${label}: ${res.non2xx} non-2xx, ${res.errors} errors`);
  return res;
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
  leanRatios: Record<string, { median: number; min: number; max: number }>;
  telemetryUsPerRequest: Record<string, number>;
  fixedRate: { variant: string; p50ms: number; p99ms: number; p999ms: number }[];
  pinning: string;
}> {
  const pinning = pinLoadGenerator();
  const body = JSON.stringify({ inputs: [fraudData().test.x[0]] });
  const duration = quick ? 2 : 3;
  // Eight short rounds rather than four long ones: on this VM the spread between rounds, not
  // within a run, decides how well a median of ratios is known.
  const rounds = quick ? 1 : 8;
  const rows: HttpRow[] = [];
  const ratios: Record<string, number> = {};
  const leanRatios: Record<string, { median: number; min: number; max: number }> = {};
  const telemetryUsPerRequest: Record<string, number> = {};
  const fixedRate: { variant: string; p50ms: number; p99ms: number; p999ms: number }[] = [];
  const load = (url: string, extra: Partial<autocannon.Options> = {}) =>
    autocannon({ url: `${url}/v1/predict`, method: 'POST', headers: { 'content-type': 'application/json' }, body, connections: 16, duration, ...extra });
  for (const framework of ['express', 'hono']) {
    const variants = [
      'unguarded',
      'lean',
      'guarded',
      'guarded-otel',
      ...(framework === 'hono' ? ['budget-memory', 'budget-redis', 'detectors', 'privacy'] : []),
    ];
    const servers: Record<string, { url: string; child: ChildProcess }> = {};
    for (const v of variants) servers[v] = await spawnServer(framework, v);
    const samples: Record<string, { rps: number[]; p50: number[]; p99: number[] }> = {};
    const perRoundLean: number[] = [];
    for (let r = 0; r < rounds + 1; r++) {
      // Palindromic order within a round (A B C … C B A): slow drift hits every variant alike.
      const order = [...variants, ...[...variants].reverse()];
      const round: Record<string, number[]> = {};
      for (const variant of order) {
        const res = await load(servers[variant]?.url as string);
        if (res.non2xx > 0 || res.errors > 0) throw new Error(`${framework}/${variant}: ${res.non2xx} non-2xx, ${res.errors} errors`);
        if (r === 0) continue; // the first round warms every server up
        if (samples[variant] === undefined) samples[variant] = { rps: [], p50: [], p99: [] };
        const s = samples[variant];
        s.rps.push(res.requests.average);
        s.p50.push(res.latency.p50);
        s.p99.push(res.latency.p99);
        if (round[variant] === undefined) round[variant] = [];
        round[variant].push(res.requests.average);
      }
      if (r > 0) {
        const mean = (xs: number[] | undefined) => (xs ?? []).reduce((a, b) => a + b, 0) / Math.max(1, xs?.length ?? 0);
        perRoundLean.push(mean(round.guarded) / mean(round.lean));
      }
    }
    for (const variant of variants) {
      const s = samples[variant];
      if (s) rows.push({ framework, variant, rps: median(s.rps), p50ms: median(s.p50), p99ms: median(s.p99) });
    }
    const of = (v: string) => rows.find((x) => x.framework === framework && x.variant === v)?.rps;
    const g = of('guarded');
    const u = of('unguarded');
    const o = of('guarded-otel');
    if (g && u) ratios[framework] = g / u;
    leanRatios[framework] = { median: median(perRoundLean), min: Math.min(...perRoundLean), max: Math.max(...perRoundLean) };
    // On a pinned core at saturation, 1/throughput is the server's time per request.
    if (g && o) telemetryUsPerRequest[framework] = 1e6 / o - 1e6 / g;
    // Latency at a fixed rate below saturation (1,000 req/s), where it is not queueing: what a
    // budget adds to each request.
    if (framework === 'hono') {
      for (const variant of ['guarded', 'budget-memory', 'budget-redis']) {
        const res = await load(servers[variant]?.url as string, { connections: 8, overallRate: 1000 });
        fixedRate.push({ variant, p50ms: res.latency.p50, p99ms: res.latency.p99, p999ms: res.latency.p99_9 ?? res.latency.p99 });
      }
    }
    for (const s of Object.values(servers)) s.child.kill('SIGTERM');
  }
  return { rows, ratios, leanRatios, telemetryUsPerRequest, fixedRate, pinning };
}
