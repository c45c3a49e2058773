import { describe, expect, it } from 'vitest';
import { DeadlineQueue } from './timeout.js';

const after = <T>(ms: number, v: T) => new Promise<T>((r) => setTimeout(() => r(v), ms));
const late = () => new Error('late');

describe('DeadlineQueue', () => {
  it('passes answers that come in time, rejects those that do not, in any mix, on one timer', async () => {
    const q = new DeadlineQueue(60);
    const results = await Promise.allSettled([
      q.race(after(5, 'a'), late),
      q.race(new Promise<string>(() => {}), late),
      q.race(after(150, 'c'), late),
      q.race(after(20, 'd'), late),
      q.race(Promise.reject(new Error('own')), late),
    ]);
    expect(results.map((r) => (r.status === 'fulfilled' ? r.value : (r.reason as Error).message))).toEqual(['a', 'late', 'late', 'd', 'own']);
  });

  it('keeps working after going idle, and maps the promise’s own errors when asked', async () => {
    const q = new DeadlineQueue(30);
    await expect(q.race(after(1, 1), late)).resolves.toBe(1);
    await after(50, 0); // the timer has fired on an empty queue
    await expect(q.race(new Promise(() => {}), late)).rejects.toThrow('late');
    await expect(q.race(Promise.reject(new Error('x')), late, () => new Error('mapped'))).rejects.toThrow('mapped');
  });

  it('does not reject a call early: each gets its full time limit, whatever came before it', async () => {
    const q = new DeadlineQueue(80);
    const first = q.race(new Promise<number>(() => {}), late).catch(() => performance.now());
    await after(40, 0);
    const t0 = performance.now();
    const second = q.race(new Promise<number>(() => {}), late).catch(() => performance.now());
    await first;
    const at = await second;
    expect(at - t0).toBeGreaterThanOrEqual(79);
  });
});
