-- Mini-programs: a partner app (partner_apps) may carry one small app that runs inside the
-- customer app, in a sandboxed frame served at /mini-programs/<slug>/, and reaches the bank
-- only through the host's bridge, within `bridge_scopes` (docs/mini-programs.md).

CREATE TABLE mini_programs (
  client_id            text PRIMARY KEY REFERENCES partner_apps (id),
  slug                 text NOT NULL UNIQUE,      -- folder under /mini-programs/
  name                 text NOT NULL,
  icon                 text NOT NULL,             -- a file in the slug's folder (e.g. icon.svg)
  entry_path           text NOT NULL,             -- the page the host frames, relative to the slug's folder
  bridge_scopes        text[] NOT NULL,           -- auth_code, payment, location
  merchant_account_id  uuid,                      -- where requestPayment pays; required with the payment scope
  connect_origins      text[] NOT NULL DEFAULT '{}', -- the partner's own https origins the frame may fetch (CSP connect-src)
  status               text NOT NULL CHECK (status IN ('live', 'hidden')),
  created_at           timestamptz NOT NULL,
  updated_at           timestamptz NOT NULL
);

-- Payments made through requestPayment: the customer transfer (customer_transfers, same id)
-- tied to the mini-program that asked for it and the partner's reference.
CREATE TABLE mini_program_payments (
  id           uuid PRIMARY KEY,
  client_id    text NOT NULL REFERENCES partner_apps (id),
  customer_id  text NOT NULL,
  reference    text NOT NULL,
  created_at   timestamptz NOT NULL
);
CREATE INDEX mini_program_payments_client_idx ON mini_program_payments (client_id, created_at);
