-- Customer identity for the mobile app (docs/app-api.md): phone numbers, passkeys (WebAuthn),
-- one-time codes, sessions, sign-in history, payees and the app's transfers.

-- A customer's phone in E.164, unique among customers: how the OTP fallback and
-- "pay a phone number" find them. NULL for customers made before the app (open banking).
ALTER TABLE customers ADD COLUMN phone text;
CREATE UNIQUE INDEX customers_phone_idx ON customers (phone) WHERE phone IS NOT NULL;

-- A WebAuthn ceremony in progress: the challenge we issued, kept server-side so a response
-- can only answer a challenge this server made, once (used_at), within 5 minutes.
-- Registration also carries what the new customer asked for and the user handle we chose.
CREATE TABLE webauthn_flows (
  id            uuid PRIMARY KEY,
  kind          text NOT NULL CHECK (kind IN ('registration', 'authentication')),
  challenge     text NOT NULL,              -- base64url
  rp_id         text NOT NULL,
  origin        text NOT NULL,              -- the origin the response must come from
  customer_id   text,                       -- registration: the id the new customer will get
  display_name  text,
  phone         text,
  created_at    timestamptz NOT NULL,
  expires_at    timestamptz NOT NULL,
  used_at       timestamptz
);
CREATE INDEX webauthn_flows_expiry_idx ON webauthn_flows (expires_at);

-- A customer's passkey: the credential id and COSE public key the authenticator gave us at
-- registration, and the signature counter we last saw (a counter that does not grow means a
-- cloned authenticator; synced passkeys always send 0).
CREATE TABLE passkeys (
  id             text PRIMARY KEY,           -- credential id, base64url
  customer_id    text NOT NULL REFERENCES customers (id),
  public_key     text NOT NULL,              -- COSE key, base64url
  counter        int8 NOT NULL DEFAULT 0,
  transports     text[] NOT NULL DEFAULT '{}',
  device_type    text NOT NULL,              -- singleDevice | multiDevice
  backed_up      boolean NOT NULL,
  created_at     timestamptz NOT NULL,
  last_used_at   timestamptz
);
CREATE INDEX passkeys_customer_idx ON passkeys (customer_id);

-- A one-time code sent by SMS. Only a hash of the code is kept; a row exists for unknown
-- phones too (customer_id NULL, nothing sent) so the answer cannot tell which phones are customers.
CREATE TABLE otp_challenges (
  id            uuid PRIMARY KEY,
  phone         text NOT NULL,
  customer_id   text,
  purpose       text NOT NULL CHECK (purpose IN ('sign_in', 'step_up')),
  code_hash     text NOT NULL,
  attempts      int4 NOT NULL DEFAULT 0,
  device_id     text,                       -- step_up: the device that must finish the sign-in
  ip            text,
  created_at    timestamptz NOT NULL,
  expires_at    timestamptz NOT NULL,
  consumed_at   timestamptz
);
CREATE INDEX otp_challenges_phone_idx ON otp_challenges (phone, created_at);
CREATE INDEX otp_challenges_ip_idx ON otp_challenges (ip, created_at);

-- Codes "sent" when OTP_DELIVERY=dev-inbox (local demos and tests read them through an
-- admin-only route). Never written in webhook mode.
CREATE TABLE otp_dev_inbox (
  otp_id      uuid PRIMARY KEY,
  phone       text NOT NULL,
  code        text NOT NULL,
  created_at  timestamptz NOT NULL
);
CREATE INDEX otp_dev_inbox_phone_idx ON otp_dev_inbox (phone, created_at DESC);

-- A signed-in customer's session. The token is shown once; only its SHA-256 is stored.
CREATE TABLE customer_sessions (
  id            uuid PRIMARY KEY,
  token_hash    text NOT NULL UNIQUE,
  customer_id   text NOT NULL REFERENCES customers (id),
  device_id     text NOT NULL,
  method        text NOT NULL CHECK (method IN ('passkey', 'otp')),
  created_at    timestamptz NOT NULL,
  expires_at    timestamptz NOT NULL,
  revoked_at    timestamptz
);
CREATE INDEX customer_sessions_customer_idx ON customer_sessions (customer_id, created_at);

-- One row per sign-in attempt that identified a customer (dashboards count daily actives here).
CREATE TABLE customer_sign_ins (
  id           uuid PRIMARY KEY,
  customer_id  text NOT NULL,
  device_id    text NOT NULL,
  method       text NOT NULL CHECK (method IN ('passkey', 'otp')),
  outcome      text NOT NULL CHECK (outcome IN ('signed_in', 'step_up', 'refused')),
  at           timestamptz NOT NULL
);
CREATE INDEX customer_sign_ins_at_idx ON customer_sign_ins (at);
CREATE INDEX customer_sign_ins_customer_idx ON customer_sign_ins (customer_id, device_id, outcome);

-- A customer's saved recipient: another customer's phone or a ledger account.
CREATE TABLE payees (
  id           uuid PRIMARY KEY,
  customer_id  text NOT NULL REFERENCES customers (id),
  name         text NOT NULL,
  phone        text,
  account_id   uuid,
  created_at   timestamptz NOT NULL,
  CHECK ((phone IS NULL) <> (account_id IS NULL))
);
CREATE INDEX payees_customer_idx ON payees (customer_id, created_at, id);

-- Transfers a customer made in the app: the client's id (idempotency), what they sent
-- (fingerprint), whom it went to, and how it ended — a risk refusal moves no money and
-- leaves no ledger transfer, so this row is its only record.
CREATE TABLE customer_transfers (
  id               uuid PRIMARY KEY,
  customer_id      text NOT NULL REFERENCES customers (id),
  from_account_id  uuid NOT NULL,
  to_account_id    uuid NOT NULL,
  amount           int8 NOT NULL CHECK (amount > 0),
  currency         text NOT NULL,
  note             text,
  to_name          text NOT NULL,
  status           text NOT NULL CHECK (status IN ('completed', 'pending', 'rejected')),
  reason_code      text,
  fingerprint      text NOT NULL,
  created_at       timestamptz NOT NULL
);
CREATE INDEX customer_transfers_customer_idx ON customer_transfers (customer_id, created_at);
