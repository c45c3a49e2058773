/**
 * `@bulwark/core/testing`: what a test of a guard or a store needs. The conformance suites of both
 * store contracts (so a third-party store can prove itself), a seeded randomness source, a
 * manual clock, and detector stores for a guard's asynchronous and failing store paths. Not for
 * production code.
 */
export { type BudgetStoreCaseOptions, budgetStoreCases } from './budget-store-cases.js';
export { type ConformanceCase, freshScope, registerCases, type StoreSource } from './cases.js';
export { detectorStoreCases } from './detector-store-cases.js';
export { type ManualClock, manualClock, seededRandom, seededUniform } from './seeded.js';
export { asyncDetectorStore, unavailableDetectorStore } from './stores.js';
