/**
 * Applies a repayment to a loan's outstanding dues in one documented order:
 *
 *   component by component across all instalments, each oldest first —
 *   every penalty, then every fee, then every interest, then every principal.
 *
 * So a short payment clears the costs of being late before it reduces principal, and
 * within a component the oldest arrears go first. Only instalments due on or before
 * `as_of` take money: what is left over is returned as `unapplied_minor` for the caller to
 * use as a prepayment (prepayment.ts) or to refund. Partial collection is just an amount
 * smaller than what is due.
 */
import type { BusinessDate } from './dates.js';

export const ALLOCATION_ORDER = ['penalty', 'fee', 'interest', 'principal'] as const;
export type DueComponent = (typeof ALLOCATION_ORDER)[number];

export interface ComponentAmounts {
  penalty_minor: bigint;
  fee_minor: bigint;
  interest_minor: bigint;
  principal_minor: bigint;
}

/** What is still unpaid on one instalment. */
export interface InstalmentDue extends ComponentAmounts {
  instalment_number: number;
  due_date: BusinessDate;
}

/** What the repayment paid on one instalment. */
export interface InstalmentApplied extends ComponentAmounts {
  instalment_number: number;
}

export interface Allocation {
  /** One entry per instalment due on or before `as_of`, oldest first (zeros included). */
  applied: InstalmentApplied[];
  by_component: ComponentAmounts;
  applied_minor: bigint;
  /** amount − applied: for a prepayment or a refund. */
  unapplied_minor: bigint;
}

const KEY: Record<DueComponent, keyof ComponentAmounts> = {
  penalty: 'penalty_minor',
  fee: 'fee_minor',
  interest: 'interest_minor',
  principal: 'principal_minor',
};

export const zeroAmounts = (): ComponentAmounts => ({ penalty_minor: 0n, fee_minor: 0n, interest_minor: 0n, principal_minor: 0n });

export function allocateRepayment(dues: readonly InstalmentDue[], amount_minor: bigint, as_of: BusinessDate): Allocation {
  if (amount_minor < 0n) throw new RangeError(`a repayment is never negative, got ${amount_minor}`);
  const numbers = new Set<number>();
  for (const due of dues) {
    if (numbers.has(due.instalment_number)) throw new RangeError(`instalment ${due.instalment_number} is listed twice`);
    numbers.add(due.instalment_number);
    for (const key of Object.values(KEY)) if (due[key] < 0n) throw new RangeError(`instalment ${due.instalment_number} has a negative ${key}`);
  }
  const payable = dues
    .filter((due) => due.due_date <= as_of)
    .sort((a, b) => (a.due_date < b.due_date ? -1 : a.due_date > b.due_date ? 1 : a.instalment_number - b.instalment_number));
  const applied: InstalmentApplied[] = payable.map((due) => ({ instalment_number: due.instalment_number, ...zeroAmounts() }));
  const by_component = zeroAmounts();
  let left = amount_minor;
  for (const component of ALLOCATION_ORDER) {
    const key = KEY[component];
    payable.forEach((due, i) => {
      const take = due[key] < left ? due[key] : left;
      applied[i]![key] = take;
      by_component[key] += take;
      left -= take;
    });
  }
  return { applied, by_component, applied_minor: amount_minor - left, unapplied_minor: left };
}
