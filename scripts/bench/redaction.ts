/**
 * (i) What redaction costs: scanning throughput per detector and for the full set, and the
 * wall-clock growth on adversarial strings (both on the built packages, in a child process);
 * ns per answer for path rules and detectors; HTTP throughput with the recommended redaction
 * policy against the unguarded server, and with the fraud example's case records redacted against
 * the same records unredacted (hono, interleaved rounds, medians).
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { fraudData } from '@bulwark/models';
import { loadPredict, pinLoadGenerator, spawnServer } from './http.js';
import { median } from './stats.js';

const CHILD = fileURLToPath(new URL('./redaction-child.ts', import.meta.url));

export interface RedactionBench {
  textBytes: number;
  /** MB/s by text, then by detector (and `full set`). */
  scan: Record<string, Record<string, number>>;
  scaling: Record<string, number>;
  pathNs: Record<string, number>;
  answerBytes: number;
  http: { rps: Record<string, number>; ratios: Record<string, { median: number; min: number; max: number }>; rounds: number };
}

export async function benchRedaction(quick = false): Promise<RedactionBench> {
  const child = spawnSync(process.execPath, ['--conditions=bulwark-dist', '--import', 'tsx', CHILD, ...(quick ? ['--quick'] : [])], {
    encoding: 'utf8',
    maxBuffer: 1 << 24,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (child.status !== 0) throw new Error(`redaction bench child exited ${child.status}`);
  const measured = JSON.parse(child.stdout.trim().split('\n').pop() as string) as Omit<RedactionBench, 'http'>;

  pinLoadGenerator();
  const body = JSON.stringify({ inputs: [fraudData().test.x[0]] });
  const variants = ['unguarded', 'redaction', 'cases', 'cases-redacted'];
  const servers = Object.fromEntries(await Promise.all(variants.map(async (v) => [v, await spawnServer('hono', v)] as const)));
  const rounds = quick ? 1 : 4;
  const samples: Record<string, number[]> = Object.fromEntries(variants.map((v) => [v, []]));
  const pairs: Record<string, number[]> = { 'redaction ÷ unguarded': [], 'cases-redacted ÷ cases': [] };
  try {
    for (let r = 0; r < rounds; r++) {
      const round: Record<string, number[]> = {};
      for (const v of [...variants, ...[...variants].reverse()]) {
        const res = await loadPredict(servers[v]?.url as string, body, quick ? 2 : 5, `hono/${v}`);
        (samples[v] as number[]).push(res.requests.average);
        round[v] = [...(round[v] ?? []), res.requests.average];
      }
      const mean = (v: string) => (round[v] as number[]).reduce((a, b) => a + b, 0) / (round[v] as number[]).length;
      pairs['redaction ÷ unguarded']?.push(mean('redaction') / mean('unguarded'));
      pairs['cases-redacted ÷ cases']?.push(mean('cases-redacted') / mean('cases'));
    }
  } finally {
    for (const s of Object.values(servers)) s.child.kill('SIGTERM');
  }
  const rps = Object.fromEntries(variants.map((v) => [v, median(samples[v] as number[])]));
  const ratios = Object.fromEntries(Object.entries(pairs).map(([k, xs]) => [k, { median: median(xs), min: Math.min(...xs), max: Math.max(...xs) }]));
  return { ...measured, http: { rps, ratios, rounds } };
}
