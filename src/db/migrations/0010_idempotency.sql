-- Idempotency-Key: the first response to a POST, kept for 24 h so that a repeat with the
-- same key and body gets the same answer instead of doing the work twice.
-- Written and read only by src/server/idempotency-store.ts; rules in src/server/idempotency.ts.
CREATE TABLE idempotency_records (
  principal     text NOT NULL,        -- who sent it: "key:<api key id>" or "client:<client_id>"
  key           text NOT NULL,
  method        text NOT NULL,
  path          text NOT NULL,
  body_hash     text NOT NULL,
  state         text NOT NULL CHECK (state IN ('in_progress', 'done')),
  status_code   integer,
  headers       jsonb,
  body          text,
  created_at    timestamptz NOT NULL,
  expires_at    timestamptz NOT NULL,
  owner         text NOT NULL,        -- random id of the request that holds the record: only it completes or releases it
  PRIMARY KEY (principal, key)
);
CREATE INDEX idempotency_records_expiry_idx ON idempotency_records (expires_at);
