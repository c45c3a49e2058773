/**
 * Fresh rows from the distribution the shipped fraud model's data was drawn from: a port of
 * `make_fraud` in packages/models/train/train.py (same distributions, same label rule), with the
 * attack lab's seeded generator instead of numpy's. Clean batches for measuring false alarms must
 * be new draws, not resamples of the held-out rows (a resample repeats rows, and repeats are a
 * finding of their own).
 */
import { Rng } from '@bulwark/attack-lab';

export const FRAUD_COLUMNS = [
  'amount_usd',
  'hour',
  'merchant_risk',
  'distance_from_home_km',
  'velocity_1h',
  'card_present',
  'foreign',
  'account_age_days',
] as const;

/** Shifts a batch can carry (see scripts/data.ts). */
export interface FraudShift {
  /** Multiplies every amount (a currency or pricing change). */
  readonly amountScale?: number;
  /** Share of rows from a new merchant category, whose risk score is above anything profiled. */
  readonly newMerchantShare?: number;
}

const exp1 = (r: Rng): number => -Math.log(1 - r.next());
/** Gamma with an integer shape: a sum of exponentials (exact). */
const gammaInt = (r: Rng, k: number, scale: number): number => {
  let s = 0;
  for (let i = 0; i < k; i++) s += exp1(r);
  return s * scale;
};
const poisson = (r: Rng, lambda: number): number => {
  const l = Math.exp(-lambda);
  let k = 0;
  let p = 1;
  do {
    k++;
    p *= r.next();
  } while (p > l);
  return k - 1;
};

/** `n` rows (8 features and a label), from `seed`. */
export function fraudRows(n: number, seed: number, shift: FraudShift = {}): number[][] {
  const r = new Rng(seed);
  const out: number[][] = [];
  for (let i = 0; i < n; i++) {
    let amount = Math.exp(3.6 + 1.1 * r.normal());
    const hour = r.int(24);
    const g2 = gammaInt(r, 2, 1);
    let merchant = g2 / (g2 + gammaInt(r, 5, 1)); // Beta(2, 5)
    const distance = Math.exp(1.5 + 1.4 * r.normal());
    const velocity = poisson(r, 0.8);
    const cardPresent = r.next() < 0.65 ? 1 : 0;
    const foreign = r.next() < 0.08 ? 1 : 0;
    const age = gammaInt(r, 2, 400);
    const night = hour <= 5 || hour >= 23 ? 1 : 0;
    const z =
      -4.3 +
      2.4 *
        (0.55 * (Math.log1p(amount) - 3.6) +
          2.2 * (merchant - 0.28) +
          0.45 * (Math.log1p(distance) - 1.7) +
          0.55 * (velocity - 0.8) -
          1.6 * (cardPresent - 0.65) +
          1.4 * foreign +
          0.9 * night -
          0.6 * (Math.log1p(age / 30) - 3.0) +
          0.5 * foreign * (1 - cardPresent));
    const label = r.next() < 1 / (1 + Math.exp(-z)) ? 1 : 0;
    // Shifts apply after the label: the same transactions, seen differently.
    if (shift.amountScale !== undefined) amount *= shift.amountScale;
    if (shift.newMerchantShare !== undefined && r.next() < shift.newMerchantShare) merchant = 0.93 + 0.06 * r.next();
    out.push([amount, hour, merchant, distance, velocity, cardPresent, foreign, age, label]);
  }
  return out;
}

/** Rows as CSV text with the header the shipped training file has. */
export function toCsv(rows: readonly number[][]): string {
  return `${[...FRAUD_COLUMNS, 'label'].join(',')}\n${rows.map((r) => r.join(',')).join('\n')}\n`;
}
