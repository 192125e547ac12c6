-- Events: the outbox gains an event id (every row gets one, the ledger's own rows too, from
-- the column default), the event's payload and, for events meant for one partner app, its
-- client id. Relays (one per consumer name: `webhooks`, `nats`) read rows in seq order under
-- a lease, remember how far they got and which seq gaps they skipped (src/events/relay.ts
-- explains the gaps), and queue webhook deliveries; a sender posts them with retries.
-- No index on event_id: the ledger writes thousands of rows per batch and nothing looks an
-- event up by id (deliveries are unique per (event_id, client_id) in their own table).
ALTER TABLE outbox ADD COLUMN event_id uuid NOT NULL DEFAULT gen_random_uuid();
ALTER TABLE outbox ADD COLUMN client_id text;
ALTER TABLE outbox ADD COLUMN payload jsonb;

CREATE TABLE outbox_cursors (
  consumer     text PRIMARY KEY,
  last_seq     bigint NOT NULL,
  lease_owner  text,
  lease_until  timestamptz,
  -- The first missing seq the relay is waiting at, and since when (the relay's clock).
  gap_seq      bigint,
  gap_seen_at  timestamptz,
  updated_at   timestamptz NOT NULL
);

-- Seq ranges a relay stepped over because they were still missing after the wait: a
-- transaction that took them may yet commit; the relay looks them up again until expires_at.
CREATE TABLE outbox_gaps (
  consumer    text NOT NULL,
  from_seq    bigint NOT NULL,
  to_seq      bigint NOT NULL CHECK (to_seq >= from_seq),
  skipped_at  timestamptz NOT NULL,
  expires_at  timestamptz NOT NULL,
  PRIMARY KEY (consumer, from_seq)
);

CREATE TABLE webhook_deliveries (
  id              uuid PRIMARY KEY,
  event_id        uuid NOT NULL,
  client_id       text NOT NULL,
  topic           text NOT NULL,
  url             text NOT NULL,
  payload         jsonb NOT NULL,
  status          text NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
  attempts        integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz,
  last_status_code integer,
  last_error      text,
  created_at      timestamptz NOT NULL,
  delivered_at    timestamptz,
  give_up_at      timestamptz NOT NULL,
  UNIQUE (event_id, client_id)
);
CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_client_idx ON webhook_deliveries (client_id, created_at DESC, id DESC);
CREATE INDEX webhook_deliveries_created_idx ON webhook_deliveries (created_at DESC, id DESC);

CREATE TABLE webhook_attempts (
  delivery_id   uuid NOT NULL REFERENCES webhook_deliveries (id),
  attempt       integer NOT NULL,
  at            timestamptz NOT NULL,
  status_code   integer,
  error         text,
  response_excerpt text,
  duration_ms   integer NOT NULL,
  PRIMARY KEY (delivery_id, attempt)
);
