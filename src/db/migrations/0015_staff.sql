-- Staff (operators of the console), their sign-in sessions, and the audit log of every
-- write made with a staff token or an API key (docs/console.md).

CREATE TABLE staff_members (
  id             uuid PRIMARY KEY,
  email          text NOT NULL UNIQUE,          -- stored lower-cased
  display_name   text NOT NULL,
  role           text NOT NULL CHECK (role IN ('viewer', 'operator', 'risk_analyst', 'credit_officer', 'admin')),
  password_hash  text NOT NULL,                 -- scrypt (src/openbanking/customers.ts)
  status         text NOT NULL CHECK (status IN ('active', 'disabled')),
  created_at     timestamptz NOT NULL,
  updated_at     timestamptz NOT NULL
);

-- Only a SHA-256 of the session token is stored: the token is 256 random bits.
CREATE TABLE staff_sessions (
  token_hash   text PRIMARY KEY,
  staff_id     uuid NOT NULL REFERENCES staff_members (id),
  created_at   timestamptz NOT NULL,
  expires_at   timestamptz NOT NULL,
  revoked_at   timestamptz
);
CREATE INDEX staff_sessions_staff_idx ON staff_sessions (staff_id);

-- Who did what: never bodies or headers, only the route pattern and the ids in its path.
CREATE TABLE audit_log (
  seq          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at           timestamptz NOT NULL,
  actor_kind   text NOT NULL CHECK (actor_kind IN ('staff', 'api_key')),
  actor_id     text,                            -- null for a sign-in with an unknown email
  actor_email  text,
  role         text,
  action       text NOT NULL,                   -- 'http' or 'staff.sign_in'
  method       text NOT NULL,
  route        text NOT NULL,
  target_ids   jsonb NOT NULL,
  status_code  integer NOT NULL,
  request_id   text NOT NULL
);
CREATE INDEX audit_log_actor_idx ON audit_log (actor_id, seq);
-- The sign-in limiter counts an email's recent failures.
CREATE INDEX audit_log_sign_in_idx ON audit_log (actor_email, at) WHERE action = 'staff.sign_in';
