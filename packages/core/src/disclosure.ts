/**
 * What an answer reveals. Output guards describe the output they leave with a `Disclosure`, so that
 * budgets and ledgers can weigh a call by what it disclosed, and declare the most any of their
 * outputs can reveal (`Guard.maxDisclosure`), so that a budget can reserve exactly that before the
 * model runs. The descriptor is open: a mechanism that does not fit a kind below reports `raw`
 * (the conservative reading) until a kind is added for it.
 */

export type Disclosure =
  /** The predicted label only. */
  | { readonly kind: 'label' }
  /** The k highest scores (the others zeroed), optionally rounded. */
  | { readonly kind: 'top-k'; readonly k: number; readonly decimals?: number | undefined }
  /** Every score, rounded to `decimals` places. */
  | { readonly kind: 'rounded'; readonly decimals: number }
  /**
   * Scores with random noise of a differentially private mechanism: its name and cost, ε for pure
   * DP or ρ for zCDP, per row.
   */
  | { readonly kind: 'noised'; readonly mechanism: string; readonly epsilon?: number | undefined; readonly rho?: number | undefined }
  /** The model's scores as they came. */
  | { readonly kind: 'raw' };

export type DisclosureKind = Disclosure['kind'];

export const DISCLOSURE_KINDS: readonly DisclosureKind[] = Object.freeze(['label', 'top-k', 'rounded', 'noised', 'raw']);

/** The raw disclosure, shared (descriptors are immutable). */
export const RAW: Disclosure = Object.freeze({ kind: 'raw' });
export const LABEL: Disclosure = Object.freeze({ kind: 'label' });

/** Constructors that return frozen descriptors. */
export const disclose = {
  label: (): Disclosure => LABEL,
  topK: (k: number, decimals?: number): Disclosure => Object.freeze({ kind: 'top-k', k, ...(decimals === undefined ? {} : { decimals }) }),
  rounded: (decimals: number): Disclosure => Object.freeze({ kind: 'rounded', decimals }),
  noised: (mechanism: string, cost: { epsilon?: number; rho?: number }): Disclosure => Object.freeze({ kind: 'noised', mechanism, ...cost }),
  raw: (): Disclosure => RAW,
};

/** A short text for telemetry and messages, e.g. `top-k(k=1,decimals=2)`, `noised(laplace,eps=0.5)`. */
export function describeDisclosure(d: Disclosure): string {
  switch (d.kind) {
    case 'label':
    case 'raw':
      return d.kind;
    case 'top-k':
      return `top-k(k=${d.k}${d.decimals === undefined ? '' : `,decimals=${d.decimals}`})`;
    case 'rounded':
      return `rounded(decimals=${d.decimals})`;
    case 'noised':
      return `noised(${d.mechanism}${d.epsilon === undefined ? '' : `,eps=${d.epsilon}`}${d.rho === undefined ? '' : `,rho=${d.rho}`})`;
  }
}

/** Checks a descriptor a guard returned; `undefined` when it is not one. */
export function asDisclosure(v: unknown): Disclosure | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  const d = v as Record<string, unknown>;
  switch (d.kind) {
    case 'label':
    case 'raw':
      return d as Disclosure;
    case 'top-k':
      return Number.isSafeInteger(d.k) && (d.k as number) >= 1 ? (d as Disclosure) : undefined;
    case 'rounded':
      return Number.isSafeInteger(d.decimals) && (d.decimals as number) >= 0 ? (d as Disclosure) : undefined;
    case 'noised':
      return typeof d.mechanism === 'string' ? (d as Disclosure) : undefined;
    default:
      return undefined;
  }
}
