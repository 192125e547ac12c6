-- Small-business lending (docs/lending.md). Money in minor units (bigint); business dates
-- are `date` (no time zone): a loan's schedule, accruals and ageing run on them.
-- The ledger holds the money (each loan has its own accounts, ids derived from the loan id);
-- these tables hold the contract, the schedule and the state the close of business (COB)
-- works from, kept in step with the ledger by the same code that posts to it.

-- Loan products as data, versioned: a loan keeps the (id, version) it was written under.
CREATE TABLE loan_products (
  id          text    NOT NULL,
  version     integer NOT NULL CHECK (version >= 1),
  body        jsonb   NOT NULL,               -- the validated product (src/lending/products.ts)
  status      text    NOT NULL CHECK (status IN ('active', 'retired')),
  created_by  text    NOT NULL,
  created_at  timestamptz NOT NULL,
  PRIMARY KEY (id, version)
);

CREATE TABLE loan_applications (
  id                 uuid PRIMARY KEY,        -- client-chosen: applying twice returns the first
  customer_id        text NOT NULL,
  account_id         uuid NOT NULL,           -- the customer's ledger account: paid out to, collected from
  product_id         text NOT NULL,
  product_version    integer NOT NULL,
  requested_amount   bigint NOT NULL CHECK (requested_amount > 0),
  requested_term     integer NOT NULL CHECK (requested_term > 0),
  business           jsonb NOT NULL,          -- industry, months trading, revenue, existing debt, …
  fingerprint        text NOT NULL,
  status             text NOT NULL CHECK (status IN ('approved', 'declined', 'referred', 'accepted', 'expired')),
  decision           jsonb NOT NULL,          -- score, band, reasons, eligibility results, risk decision id
  offer_amount       bigint,
  offer_term         integer,
  offer_rate_percent text,
  decision_ms        double precision NOT NULL,
  offer_expires_at   timestamptz,
  created_at         timestamptz NOT NULL,
  updated_at         timestamptz NOT NULL,
  FOREIGN KEY (product_id, product_version) REFERENCES loan_products (id, version)
);
CREATE INDEX loan_applications_customer_idx ON loan_applications (customer_id, created_at);
CREATE INDEX loan_applications_created_idx ON loan_applications (created_at, id);

CREATE TABLE loans (
  id                     uuid PRIMARY KEY,
  application_id         uuid UNIQUE REFERENCES loan_applications (id),
  customer_id            text NOT NULL,
  account_id             uuid NOT NULL,       -- the customer's account
  currency               text NOT NULL,
  product_id             text NOT NULL,
  product_version        integer NOT NULL,
  terms                  jsonb NOT NULL,      -- the product's terms as written into this loan
  principal              bigint NOT NULL CHECK (principal > 0),
  start_date             date NOT NULL,
  maturity_date          date NOT NULL,
  status                 text NOT NULL CHECK (status IN ('active', 'closed', 'written_off')),
  -- Ledger accounts of this loan (derived from the loan id): principal receivable,
  -- interest receivable, penalty receivable, fees receivable.
  principal_account_id   uuid NOT NULL,
  interest_account_id    uuid NOT NULL,
  penalty_account_id     uuid NOT NULL,
  fee_account_id         uuid NOT NULL,
  -- Running state, kept in step with the ledger by the code that posts.
  outstanding_principal  bigint NOT NULL CHECK (outstanding_principal >= 0),
  accrued_interest       bigint NOT NULL DEFAULT 0 CHECK (accrued_interest >= 0),  -- accrued, not yet paid
  penalty_due            bigint NOT NULL DEFAULT 0 CHECK (penalty_due >= 0),
  penalty_carry_num      numeric NOT NULL DEFAULT 0,                                 -- the fraction of a minor unit carried (accrual.ts)
  penalty_carry_den      numeric NOT NULL DEFAULT 1,
  days_past_due          integer NOT NULL DEFAULT 0 CHECK (days_past_due >= 0),
  category               text NOT NULL DEFAULT 'normal' CHECK (category IN ('normal', 'special_mention', 'substandard', 'doubtful', 'loss')),
  last_cob_date          date,                                                        -- the last business date COB finished for this loan
  closed_at              timestamptz,
  created_at             timestamptz NOT NULL,
  updated_at             timestamptz NOT NULL
);
CREATE INDEX loans_active_idx ON loans (id) WHERE status = 'active';
CREATE INDEX loans_customer_idx ON loans (customer_id, created_at);
CREATE INDEX loans_portfolio_idx ON loans (product_id, category) WHERE status = 'active';

-- The schedule: one row per instalment, with what has been paid against it.
-- `number` is the row's line number (1..n for a new loan). A rebuilt schedule (partial
-- prepayment, payoff, restructure) marks the rows it replaces `superseded` and appends its
-- rows with new numbers; `period_number` is the period counted from the start date (due date
-- k = start + k periods), equal to `number` until a rebuild. A `settlement` row records
-- what an early repayment or a restructure settled on its date (the principal prepaid, the
-- interest accrued up to that date, the early-repayment fee), so the rows that are not
-- superseded always sum to the loan's principal.
CREATE TABLE loan_instalments (
  loan_id         uuid    NOT NULL REFERENCES loans (id),
  number          integer NOT NULL CHECK (number >= 1),
  period_number   integer CHECK (period_number >= 1),           -- NULL: same as number
  kind            text    NOT NULL DEFAULT 'scheduled' CHECK (kind IN ('scheduled', 'settlement')),
  period_start    date    NOT NULL,
  due_date        date    NOT NULL,
  interest_days   integer NOT NULL CHECK (interest_days >= 0),
  principal       bigint  NOT NULL CHECK (principal >= 0),
  interest        bigint  NOT NULL CHECK (interest >= 0),
  fee             bigint  NOT NULL DEFAULT 0 CHECK (fee >= 0),
  paid_principal  bigint  NOT NULL DEFAULT 0 CHECK (paid_principal >= 0 AND paid_principal <= principal),
  paid_interest   bigint  NOT NULL DEFAULT 0 CHECK (paid_interest >= 0 AND paid_interest <= interest),
  paid_fee        bigint  NOT NULL DEFAULT 0 CHECK (paid_fee >= 0 AND paid_fee <= fee),
  -- scheduled: not yet due; due: due today or in grace; overdue: past grace; paid; superseded: replaced by a rebuilt schedule
  status          text    NOT NULL CHECK (status IN ('scheduled', 'due', 'overdue', 'paid', 'superseded')),
  PRIMARY KEY (loan_id, number)
);
CREATE INDEX loan_instalments_due_idx ON loan_instalments (due_date) WHERE status IN ('scheduled', 'due', 'overdue');

-- Servicing operations on a loan, by the client's id (repeating an id with the same request
-- returns the first result; with another request it is a conflict): repayments (including
-- partial prepayments and payoffs), restructurings and write-offs, with what each one
-- settled, component by component.
CREATE TABLE loan_operations (
  id                    uuid PRIMARY KEY,
  loan_id               uuid NOT NULL REFERENCES loans (id),
  kind                  text NOT NULL CHECK (kind IN ('repayment', 'payoff', 'restructure', 'write_off')),
  fingerprint           text NOT NULL,
  business_date         date NOT NULL,
  amount                bigint NOT NULL CHECK (amount >= 0),       -- collected from the customer (0 for restructure and write-off)
  paid_penalty          bigint NOT NULL DEFAULT 0,
  paid_fee              bigint NOT NULL DEFAULT 0,
  paid_interest         bigint NOT NULL DEFAULT 0,
  paid_principal        bigint NOT NULL DEFAULT 0,
  prepaid_principal     bigint NOT NULL DEFAULT 0,                 -- the part of paid_principal not yet due
  early_repayment_fee   bigint NOT NULL DEFAULT 0,
  result                jsonb NOT NULL,                            -- the answer the client got
  created_at            timestamptz NOT NULL
);
CREATE INDEX loan_operations_loan_idx ON loan_operations (loan_id, created_at);

-- One row per business date COB has started: its steps and their progress, so a rerun
-- after a crash resumes, and a finished date is not run twice.
CREATE TABLE cob_runs (
  business_date  date PRIMARY KEY,
  status         text NOT NULL CHECK (status IN ('running', 'succeeded', 'failed')),
  steps          jsonb NOT NULL,              -- { step: { done, total, seconds } }
  error          text,
  started_at     timestamptz NOT NULL,
  finished_at    timestamptz
);

-- ---------------------------------------------------------------------------------------
-- Close of business (src/lending/cob*.ts, docs/lending.md "Close of business"). Each COB
-- step marks the loans it has done for the business date, so a run resumed after a crash
-- skips them: accrual → last_accrual_date, collection → last_collection_date, ageing
-- (penalties, arrears, DPD, classification) → last_cob_date (it is the last per-loan step;
-- loans with nothing due and no arrears are not visited by it: cob_runs says which dates
-- are closed for the whole book).
ALTER TABLE loans ADD COLUMN last_accrual_date date;
ALTER TABLE loans ADD COLUMN last_collection_date date;
-- The worst DPD the loan has ever had: vintage analysis counts loans "ever 30+ / 90+".
ALTER TABLE loans ADD COLUMN max_days_past_due integer NOT NULL DEFAULT 0 CHECK (max_days_past_due >= 0);
-- Loans COB must visit for collection and ageing: an unpaid instalment that has fallen due,
-- or arrears state to clear (DPD or an unpaid penalty).
CREATE INDEX loan_instalments_unpaid_idx ON loan_instalments (loan_id) WHERE status IN ('due', 'overdue');
CREATE INDEX loans_arrears_idx ON loans (id) WHERE status = 'active' AND (days_past_due > 0 OR penalty_due > 0);
-- Accrual finds each loan's current period with one probe.
CREATE INDEX loan_instalments_period_idx ON loan_instalments (loan_id, due_date) WHERE status <> 'superseded';
-- The currencies COB posts in (a loose index scan, one probe per currency).
CREATE INDEX loans_currency_idx ON loans (currency);

-- Which process runs a date, and when it last showed progress (the database's clock): a
-- second process does not take a date over while its owner's lease is fresh.
ALTER TABLE cob_runs ADD COLUMN owner text;
ALTER TABLE cob_runs ADD COLUMN heartbeat_at timestamptz;

-- Vintage curves: at each month-end business date, COB records every disbursement month's
-- figures, so "share of loans ever 30+ DPD by months on book" can be read back later.
CREATE TABLE loan_vintage_points (
  business_date      date    NOT NULL,           -- a month-end COB date
  currency           text    NOT NULL,
  product_id         text    NOT NULL,
  vintage_month      date    NOT NULL,           -- the first day of the disbursement month
  months_on_book     integer NOT NULL,
  loans              integer NOT NULL,
  principal          bigint  NOT NULL,           -- disbursed
  outstanding        bigint  NOT NULL,           -- active loans' outstanding principal
  ever30_loans       integer NOT NULL,
  ever30_principal   bigint  NOT NULL,           -- disbursed principal of the loans ever 30+ DPD
  ever90_loans       integer NOT NULL,
  ever90_principal   bigint  NOT NULL,
  dpd30_outstanding  bigint  NOT NULL,           -- outstanding now at 30+ DPD
  dpd90_outstanding  bigint  NOT NULL,
  PRIMARY KEY (business_date, currency, product_id, vintage_month)
);
