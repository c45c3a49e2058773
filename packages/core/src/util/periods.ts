/** Named periods of budgets and ledgers. A month is 30 days; windows are aligned to the Unix epoch. */
export const PERIODS = ['second', 'minute', 'hour', 'day', 'month'] as const;
export type PeriodName = (typeof PERIODS)[number];

/** Period lengths in ms. */
export const PERIOD_MS: Readonly<Record<PeriodName, number>> = Object.freeze({
  second: 1000,
  minute: 60_000,
  hour: 3_600_000,
  day: 86_400_000,
  month: 2_592_000_000,
});
