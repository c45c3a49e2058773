/**
 * Attack throughput: how many queries per second the attack lab gets out of `bulwark serve` on
 * loopback (server in a child process, attacker in this one), one row per request as query-based
 * evasion sends them, and 25 rows per request as extraction does.
 */
import { createTarget, httpTransport } from '@bulwark/attack-lab';
import { fraudData } from '@bulwark/models';
import { spawnServer } from './http.js';

export interface AttackThroughput {
  rowsPerRequest: number;
  queriesPerSecond: number;
  requestsPerSecond: number;
}

export async function benchAttack(quick = false): Promise<AttackThroughput[]> {
  const server = await spawnServer('hono', 'guarded');
  const rows = fraudData().test.x;
  const out: AttackThroughput[] = [];
  try {
    for (const batch of [1, 25]) {
      const target = createTarget('bench', httpTransport(server.url));
      const total = quick ? 500 : batch === 1 ? 5000 : 50_000;
      await target.query(rows.slice(0, batch)); // warm-up
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < total; i += batch) await target.query(rows.slice(i % 3000, (i % 3000) + batch));
      const s = Number(process.hrtime.bigint() - t0) / 1e9;
      out.push({ rowsPerRequest: batch, queriesPerSecond: total / s, requestsPerSecond: total / batch / s });
    }
  } finally {
    server.child.kill('SIGTERM');
  }
  return out;
}
