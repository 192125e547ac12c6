-- Revolving credit lines and recoveries after a write-off (docs/lending.md).
--
-- A revolving line is a loan row whose product's repayment method is `revolving`:
-- `credit_limit` is what may be drawn, `principal` counts what has been drawn in all
-- (so a line may be opened with nothing drawn), `outstanding_principal` is the drawn
-- balance. Interest accrues every day on the drawn balance not yet billed (floor-and-carry,
-- the carry kept in interest_carry_num / interest_carry_den); what has accrued since the last statement is
-- `unbilled_interest`, and each statement date turns it, with the minimum payment's
-- principal, into an instalment row that COB marks due, collects and ages like any other.
ALTER TABLE loans DROP CONSTRAINT loans_principal_check;
ALTER TABLE loans ADD CONSTRAINT loans_principal_check CHECK (principal >= 0);
ALTER TABLE loans ADD COLUMN credit_limit bigint CHECK (credit_limit > 0);
ALTER TABLE loans ADD COLUMN interest_carry_num numeric NOT NULL DEFAULT 0;
ALTER TABLE loans ADD COLUMN interest_carry_den numeric NOT NULL DEFAULT 1;
ALTER TABLE loans ADD COLUMN unbilled_interest bigint NOT NULL DEFAULT 0 CHECK (unbilled_interest >= 0);
ALTER TABLE loans ADD COLUMN last_statement_date date;
ALTER TABLE loans ADD CONSTRAINT loans_line_within_limit CHECK (credit_limit IS NULL OR outstanding_principal <= credit_limit);
-- The drawn balance not yet billed (interest accrues on it; docs/lending.md, "Revolving credit
-- lines"): outstanding_principal = unbilled_principal + the billed principal still unpaid.
ALTER TABLE loans ADD COLUMN unbilled_principal bigint NOT NULL DEFAULT 0 CHECK (unbilled_principal >= 0);
ALTER TABLE loans ADD CONSTRAINT loans_line_unbilled_within_outstanding CHECK (unbilled_principal <= outstanding_principal);
-- The date the next statement is cut (start + k periods); NULL once the last one (at maturity) is.
ALTER TABLE loans ADD COLUMN next_statement_date date;
-- COB's statement step finds the lines whose statement date has come with one index probe.
CREATE INDEX loans_statement_idx ON loans (next_statement_date, id) WHERE status = 'active' AND next_statement_date IS NOT NULL;

-- Recoveries: money collected on a loan after it was written off. The loan stays written
-- off; `recovered` sums what came back.
ALTER TABLE loans ADD COLUMN recovered bigint NOT NULL DEFAULT 0 CHECK (recovered >= 0);

ALTER TABLE loan_operations DROP CONSTRAINT loan_operations_kind_check;
ALTER TABLE loan_operations ADD CONSTRAINT loan_operations_kind_check
  CHECK (kind IN ('repayment', 'payoff', 'restructure', 'write_off', 'drawdown', 'recovery'));
