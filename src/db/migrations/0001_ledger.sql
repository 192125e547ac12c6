-- Core ledger: accounts with derived balances, append-only transfers, pending-transfer
-- state, per-account balance history, and the transactional outbox.

CREATE TABLE accounts (
  id               uuid PRIMARY KEY,
  currency         text     NOT NULL,
  code             integer  NOT NULL CHECK (code BETWEEN 1 AND 65535),
  flags            integer  NOT NULL DEFAULT 0,
  metadata         jsonb,
  status           text     NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'frozen', 'closed')),
  debits_pending   bigint   NOT NULL DEFAULT 0 CHECK (debits_pending >= 0),
  debits_posted    bigint   NOT NULL DEFAULT 0 CHECK (debits_posted >= 0),
  credits_pending  bigint   NOT NULL DEFAULT 0 CHECK (credits_pending >= 0),
  credits_posted   bigint   NOT NULL DEFAULT 0 CHECK (credits_posted >= 0),
  created_at       timestamptz NOT NULL,
  updated_at       timestamptz NOT NULL,
  -- The limit flags, enforced by the database too: a bug in the writer cannot commit past them.
  CONSTRAINT debits_within_credits CHECK ((flags & 1) = 0 OR debits_pending + debits_posted <= credits_posted),
  CONSTRAINT credits_within_debits CHECK ((flags & 2) = 0 OR credits_pending + credits_posted <= debits_posted)
);

-- A transfer row is written once and never updated or deleted (see the trigger below).
CREATE TABLE transfers (
  seq                bigint GENERATED ALWAYS AS IDENTITY, -- insertion order, for pagination (indexed per account below)
  id                 uuid PRIMARY KEY,
  debit_account_id   uuid     NOT NULL,
  credit_account_id  uuid     NOT NULL,
  amount             bigint   NOT NULL CHECK (amount > 0),
  currency           text     NOT NULL,
  pending_id         uuid,
  code               integer  NOT NULL,
  flags              integer  NOT NULL,
  timeout_seconds    integer,
  expires_at         timestamptz,
  metadata           jsonb,
  -- Hash of the fields the client sent: same id + same fingerprint is a harmless replay.
  fingerprint        text     NOT NULL,
  created_at         timestamptz NOT NULL
);
CREATE INDEX transfers_debit_idx  ON transfers (debit_account_id, seq);
CREATE INDEX transfers_credit_idx ON transfers (credit_account_id, seq);

-- Derived state of each pending transfer; changes only while its accounts are locked.
CREATE TABLE pending_transfers (
  id           uuid PRIMARY KEY,
  state        text NOT NULL CHECK (state IN ('pending', 'posted', 'voided', 'expired')),
  expires_at   timestamptz,
  resolved_by  uuid,
  resolved_at  timestamptz
);
CREATE INDEX pending_transfers_expiry_idx ON pending_transfers (expires_at) WHERE state = 'pending';

-- Balances after every change to an account flagged `history` (a transfer, or the expiry
-- of a pending transfer, named by `transfer_id`), for balance-at-a-timestamp reads.
CREATE TABLE account_history (
  seq              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  account_id       uuid   NOT NULL,
  transfer_id      uuid   NOT NULL,
  created_at       timestamptz NOT NULL,
  debits_pending   bigint NOT NULL,
  debits_posted    bigint NOT NULL,
  credits_pending  bigint NOT NULL,
  credits_posted   bigint NOT NULL
);
CREATE INDEX account_history_at_idx ON account_history (account_id, created_at, seq);

CREATE TABLE outbox (
  seq          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  topic        text NOT NULL,
  entity_id    uuid NOT NULL,
  created_at   timestamptz NOT NULL
);

CREATE FUNCTION transfers_are_append_only() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION 'transfers are append-only: % is not allowed', TG_OP;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER transfers_append_only
  BEFORE UPDATE OR DELETE ON transfers
  FOR EACH ROW EXECUTE FUNCTION transfers_are_append_only();

CREATE TABLE api_keys (
  id            uuid PRIMARY KEY,
  name          text NOT NULL,
  prefix        text NOT NULL UNIQUE,
  secret_hash   text NOT NULL,
  scopes        text[] NOT NULL,
  created_at    timestamptz NOT NULL,
  revoked_at    timestamptz
);

CREATE TABLE seeds (
  name        text PRIMARY KEY,
  applied_at  timestamptz NOT NULL
);
