/**
 * The pure core of small-business lending (docs/lending.md). Later layers (store, the
 * close-of-business job, ledger postings, HTTP) import from here. Every function is pure:
 * business dates, balances and carries are arguments; nothing reads a clock or a database.
 */
export * from './dates.js';
export * from './rational.js';
export * from './rates.js';
export * from './daycount.js';
export * from './products.js';
export * from './periods.js';
export * from './schedule.js';
export * from './accrual.js';
export * from './allocation.js';
export * from './aging.js';
export * from './prepayment.js';
export * from './credit-line.js';
