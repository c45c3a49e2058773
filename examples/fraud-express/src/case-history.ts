/**
 * A guard that does what fraud APIs often do: attach the analyst's evidence to each score, here
 * the past cases most like the transaction, with their customers' contact details, card numbers
 * and free-text notes. It is a plugin of cases-policy.yaml, whose `redact` guard then strips what
 * must not leave. (The records are made up; the card and bank numbers are the networks' test
 * numbers.)
 */
import { defineGuard, type Prediction, s } from '@bulwark/core';

export interface CaseRecord {
  readonly id: string;
  readonly outcome: 'chargeback' | 'cleared';
  readonly amountUsd: number;
  readonly customer: { readonly name: string; readonly email: string; readonly phone: string; readonly ssn: string; readonly dateOfBirth: string };
  readonly card: string;
  readonly notes: string;
}

export const CASES: readonly CaseRecord[] = [
  {
    id: 'C-2024-0193',
    outcome: 'chargeback',
    amountUsd: 912.4,
    customer: { name: 'Maria Lopez', email: 'maria.lopez@example.com', phone: '+44 20 7946 0958', ssn: '078-05-1120', dateOfBirth: '1984-03-12' },
    card: '4111 1111 1111 1111',
    notes:
      'Called from +1 (415) 555-2671; asked for the refund to GB82 WEST 1234 5698 7654 32. Agent token sk_live_51HxRkT2eZvKYlo2C0123abcd noted by mistake.',
  },
  {
    id: 'C-2024-0417',
    outcome: 'chargeback',
    amountUsd: 388,
    customer: { name: 'Dmitri Ivanov', email: 'ｄ.ｉｖａｎｏｖ＠example.org', phone: '020 7946 0321', ssn: '219-09-9999', dateOfBirth: '1979-11-02' },
    card: '5555-5555-5555-4444',
    notes: 'Same device as C-2024-0193 (IP 203.0.113.77); card read out as ５５５５ ５５５５ ５５５５ ４４４４.',
  },
  {
    id: 'C-2024-0522',
    outcome: 'cleared',
    amountUsd: 42.1,
    customer: { name: 'Aiko Tanaka', email: 'aiko.t@example.jp', phone: '+81 3-1234-5678', ssn: '123-45-6789', dateOfBirth: '1991-07-30' },
    card: '3782 822463 10005',
    notes: 'Customer confirmed the purchase by e-mail (aiko.t@example.jp).',
  },
];

/** What each answer gains: the cases like it (fraud: past chargebacks; legitimate: cleared cases). */
export function similarCases(p: Prediction): CaseRecord[] {
  return CASES.filter((c) => (p.label === 1 ? c.outcome === 'chargeback' : c.outcome === 'cleared')).slice(0, 2);
}

export const caseHistory = defineGuard({
  use: 'case-history',
  description: 'Attach the most similar past cases (with customer records) to each prediction',
  schema: s.object({ max: s.default(s.int({ min: 1, max: 10 }), 2) }),
  create(o) {
    return {
      name: 'case-history',
      afterInference(ctx) {
        const out = ctx.output as Prediction[];
        return {
          action: 'modify',
          code: 'cases_attached',
          message: 'similar cases attached',
          value: out.map((p) => ({ ...p, similarCases: similarCases(p).slice(0, o.max) })),
        };
      },
    };
  },
});
