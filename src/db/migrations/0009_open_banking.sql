-- Open banking: the bank's customers as API subjects, partner apps (OAuth 2.0 clients),
-- consents, and the authorization server's own state (signing keys, pushed authorization
-- requests, authorization codes, refresh tokens, revoked access tokens).

-- A customer who can sign in to approve consents. `mode` separates sandbox test customers
-- from real ones: a sandbox app sees only sandbox customers and their accounts.
CREATE TABLE customers (
  id             text PRIMARY KEY,
  display_name   text NOT NULL,
  mode           text NOT NULL CHECK (mode IN ('sandbox', 'live')),
  password_hash  text,            -- scrypt, "scrypt$N$r$p$salt$hash"; NULL: cannot sign in with a password
  status         text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
  created_at     timestamptz NOT NULL
);

-- Which ledger accounts belong to which customer (a consent may name only these).
CREATE TABLE customer_accounts (
  customer_id  text NOT NULL REFERENCES customers (id),
  account_id   uuid NOT NULL,
  nickname     text,
  created_at   timestamptz NOT NULL,
  PRIMARY KEY (customer_id, account_id)
);
CREATE UNIQUE INDEX customer_accounts_account_idx ON customer_accounts (account_id);

-- A partner app: an OAuth 2.0 client registered by an operator.
CREATE TABLE partner_apps (
  id                          text PRIMARY KEY,   -- the client_id
  name                        text NOT NULL,
  mode                        text NOT NULL CHECK (mode IN ('sandbox', 'live')),
  redirect_uris               text[] NOT NULL,
  allowed_scopes              text[] NOT NULL,
  token_endpoint_auth_method  text NOT NULL CHECK (token_endpoint_auth_method IN ('private_key_jwt', 'client_secret_basic')),
  jwks                        jsonb,              -- public keys for private_key_jwt (and request objects)
  client_secret_hash          text,               -- SHA-256 of the secret, for client_secret_basic
  webhook_url                 text,
  webhook_secret              text,               -- HMAC key for webhook signatures; never logged, shown once
  status                      text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
  -- FAPI 2.0 sender-constrained tokens: when true the app must send a DPoP proof at the
  -- token endpoint and every access token it gets is bound to that key (cnf.jkt).
  dpop_bound_access_tokens    boolean NOT NULL DEFAULT false,
  created_at                  timestamptz NOT NULL,
  updated_at                  timestamptz NOT NULL
);

-- A consent: what a customer allowed a partner app to do, for how long, within what limits.
CREATE TABLE consents (
  id                   uuid PRIMARY KEY,
  client_id            text NOT NULL REFERENCES partner_apps (id),
  kind                 text NOT NULL CHECK (kind IN ('account_access', 'payment_initiation', 'funds_confirmation')),
  status               text NOT NULL CHECK (status IN ('awaiting_authorisation', 'authorised', 'rejected', 'revoked', 'expired')),
  permissions          text[] NOT NULL,     -- e.g. accounts:read, balances:read, transactions:read
  customer_id          text REFERENCES customers (id),   -- set when authorised
  account_ids          uuid[] NOT NULL DEFAULT '{}',    -- the accounts the customer chose
  currency             text,                -- payment_initiation: the limit's currency
  amount_limit_minor   bigint CHECK (amount_limit_minor > 0),  -- payment_initiation: the total the partner may pay out
  amount_used_minor    bigint NOT NULL DEFAULT 0 CHECK (amount_used_minor >= 0),
  per_payment_max_minor bigint CHECK (per_payment_max_minor > 0),
  creditor_account_id  uuid,                -- payment_initiation: if set, payments may go only there
  expires_at           timestamptz NOT NULL,
  created_at           timestamptz NOT NULL,
  authorised_at        timestamptz,
  revoked_at           timestamptz,
  revoked_by           text CHECK (revoked_by IN ('customer', 'partner', 'operator')),
  CONSTRAINT consent_within_limit CHECK (amount_limit_minor IS NULL OR amount_used_minor <= amount_limit_minor)
);
CREATE INDEX consents_client_idx ON consents (client_id, created_at DESC, id DESC);
CREATE INDEX consents_customer_idx ON consents (customer_id, created_at DESC, id DESC);

-- A payment a partner initiated under a consent; the money moves as one ledger transfer.
CREATE TABLE ob_payments (
  id                  uuid PRIMARY KEY,
  consent_id          uuid NOT NULL REFERENCES consents (id),
  client_id           text NOT NULL,
  customer_id         text NOT NULL,
  debtor_account_id   uuid NOT NULL,
  creditor_account_id uuid NOT NULL,
  amount_minor        bigint NOT NULL CHECK (amount_minor > 0),
  currency            text NOT NULL,
  reference           text,
  status              text NOT NULL CHECK (status IN ('pending', 'completed', 'rejected')),
  reason_code         text,
  transfer_id         uuid NOT NULL UNIQUE,
  created_at          timestamptz NOT NULL,
  updated_at          timestamptz NOT NULL
);
CREATE INDEX ob_payments_consent_idx ON ob_payments (consent_id, created_at DESC);
-- The settling sweep's queue: payments still pending (a crash, or a transfer held for risk review).
CREATE INDEX ob_payments_pending_idx ON ob_payments (updated_at) WHERE status = 'pending';

-- The authorization server's signing keys (private JWKs). Every node reads the same keys,
-- so a token issued by one node verifies on another and survives restarts.
CREATE TABLE oauth_signing_keys (
  kid          text PRIMARY KEY,
  alg          text NOT NULL,
  private_jwk  jsonb NOT NULL,
  created_at   timestamptz NOT NULL,
  retired_at   timestamptz
);

-- Pushed authorization requests (RFC 9126): the parameters, stored by request_uri.
CREATE TABLE oauth_par_requests (
  request_uri  text PRIMARY KEY,
  client_id    text NOT NULL,
  params       jsonb NOT NULL,
  expires_at   timestamptz NOT NULL,
  used_at      timestamptz
);

-- Authorization codes: single use (used_at), short-lived; a replay revokes what the code issued.
CREATE TABLE oauth_codes (
  code_hash              text PRIMARY KEY,
  client_id              text NOT NULL,
  customer_id            text NOT NULL,
  consent_id             uuid NOT NULL,
  redirect_uri           text NOT NULL,
  scope                  text NOT NULL,
  code_challenge         text NOT NULL,
  dpop_jkt               text,
  expires_at             timestamptz NOT NULL,
  used_at                timestamptz,
  family_id              uuid              -- the refresh-token family the exchange started (revoked on a replay)
);

-- Refresh tokens, rotated on every use. A family shares one origin; reusing a rotated
-- token revokes the whole family (RFC 9700 §4.14.2).
CREATE TABLE oauth_refresh_tokens (
  token_hash   text PRIMARY KEY,
  family_id    uuid NOT NULL,
  client_id    text NOT NULL,
  customer_id  text NOT NULL,
  consent_id   uuid NOT NULL,
  scope        text NOT NULL,
  dpop_jkt     text,
  expires_at   timestamptz NOT NULL,
  access_jti   text,                -- the access token issued with this refresh token (revoked with the family)
  access_expires_at timestamptz,
  rotated_at   timestamptz,
  revoked_at   timestamptz,
  created_at   timestamptz NOT NULL
);
CREATE INDEX oauth_refresh_tokens_family_idx ON oauth_refresh_tokens (family_id);

-- Access tokens revoked before they expire (RFC 7009), by jti; rows past expires_at can go.
CREATE TABLE oauth_revoked_tokens (
  jti         text PRIMARY KEY,
  expires_at  timestamptz NOT NULL
);

-- private_key_jwt client assertions already used (RFC 7523 jti, single use); kept until the
-- assertion would have expired anyway. Key: "<client_id>:<jti>".
CREATE TABLE oauth_used_jtis (
  key         text PRIMARY KEY,
  expires_at  timestamptz NOT NULL
);
