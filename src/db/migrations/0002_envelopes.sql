-- Red envelopes: the envelope's authoritative share state, its grabs, its audience, and
-- the customer groups an envelope can be sent to. Money moves only through the ledger:
-- each envelope has its own holding account (funded by one posted transfer), every grab
-- is a posted transfer out of it, and the refund at expiry is one more.

CREATE TABLE envelopes (
  id                   uuid PRIMARY KEY,
  sender_customer_id   text    NOT NULL,
  funding_account_id   uuid    NOT NULL,
  holding_account_id   uuid    NOT NULL UNIQUE,
  currency             text    NOT NULL,
  total_amount         bigint  NOT NULL CHECK (total_amount > 0),
  share_count          integer NOT NULL CHECK (share_count BETWEEN 1 AND 10000),
  mode                 text    NOT NULL CHECK (mode IN ('random', 'equal')),
  greeting             text    NOT NULL,
  audience_kind        text    NOT NULL CHECK (audience_kind IN ('link', 'customers', 'group')),
  audience_group_id    text,
  link_token           text    NOT NULL,
  -- Changed only while the row is locked by the writer's transaction.
  remaining_amount     bigint  NOT NULL CHECK (remaining_amount >= 0),
  remaining_shares     integer NOT NULL CHECK (remaining_shares >= 0),
  claimed_amount       bigint  NOT NULL DEFAULT 0 CHECK (claimed_amount >= 0),
  claimed_count        integer NOT NULL DEFAULT 0 CHECK (claimed_count >= 0),
  status               text    NOT NULL CHECK (status IN ('open', 'empty', 'expired')),
  refunded_amount      bigint  NOT NULL DEFAULT 0 CHECK (refunded_amount >= 0),
  refund_error         text,
  -- After a refused refund, the sweep leaves the envelope alone until then (others go first).
  refund_retry_at      timestamptz,
  -- The largest share (earliest on a tie), set when the envelope finishes.
  luckiest_position    integer,
  fingerprint          text    NOT NULL,
  expires_at           timestamptz NOT NULL,
  created_at           timestamptz NOT NULL,
  updated_at           timestamptz NOT NULL,
  finished_at          timestamptz,
  -- Every share gets at least one minor unit; money is conserved between the columns.
  CONSTRAINT envelope_shares_fundable CHECK (remaining_amount >= remaining_shares),
  CONSTRAINT envelope_money_conserved CHECK (claimed_amount + remaining_amount + refunded_amount = total_amount),
  CONSTRAINT envelope_shares_conserved CHECK (status <> 'open' OR claimed_count + remaining_shares = share_count),
  CONSTRAINT envelope_finished_means_nothing_left CHECK (status = 'open' OR (remaining_shares = 0 AND remaining_amount = 0))
);
CREATE INDEX envelopes_sender_idx ON envelopes (sender_customer_id, created_at DESC, id DESC);
CREATE INDEX envelopes_due_idx ON envelopes (expires_at) WHERE status = 'open';

CREATE TABLE envelope_grabs (
  envelope_id   uuid    NOT NULL REFERENCES envelopes (id),
  customer_id   text    NOT NULL,
  account_id    uuid    NOT NULL,
  amount        bigint  NOT NULL CHECK (amount > 0),
  transfer_id   uuid    NOT NULL UNIQUE,
  -- 1-based order of the grab within its envelope.
  position      integer NOT NULL,
  grabbed_at    timestamptz NOT NULL,
  PRIMARY KEY (envelope_id, customer_id),
  UNIQUE (envelope_id, position)
);
CREATE INDEX envelope_grabs_customer_idx ON envelope_grabs (customer_id, grabbed_at DESC, envelope_id DESC);

-- Who may grab an envelope sent to a list of customers or to a group (the group's members
-- are copied when the envelope is created, so later membership changes do not move money).
CREATE TABLE envelope_audience (
  envelope_id   uuid NOT NULL REFERENCES envelopes (id),
  customer_id   text NOT NULL,
  PRIMARY KEY (envelope_id, customer_id)
);

CREATE TABLE customer_groups (
  id           text PRIMARY KEY,
  name         text NOT NULL,
  created_at   timestamptz NOT NULL,
  updated_at   timestamptz NOT NULL
);

CREATE TABLE customer_group_members (
  group_id     text NOT NULL REFERENCES customer_groups (id) ON DELETE CASCADE,
  customer_id  text NOT NULL,
  PRIMARY KEY (group_id, customer_id)
);
