/**
 * A budget store named in options: a name the policy declares (`memory` is always there), or, in
 * code, a BudgetStore. Shared by the guards that spend budgets (budget, dp-noise's ledger).
 */
import { ConfigError } from '../errors.js';
import type { GuardFactoryContext } from '../guards/define.js';
import { type BudgetStore, isBudgetStore } from './types.js';

export function namedBudgetStore(store: string | BudgetStore, context: GuardFactoryContext, path: string, subject: string): BudgetStore {
  if (typeof store !== 'string') return store;
  const found = Object.hasOwn(context.stores, store) ? context.stores[store] : undefined;
  if (found === undefined || !isBudgetStore(found)) {
    const rule = found === undefined ? `must name a store of the policy (${Object.keys(context.stores).join(', ')})` : 'must name a budget store';
    throw new ConfigError([{ code: 'unknown_store', path, rule, received: JSON.stringify(store) }], subject);
  }
  return found;
}
