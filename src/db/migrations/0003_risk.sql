-- Real-time risk: versioned rule sets and their deployments, allow/deny lists, models,
-- every decision with its inputs (for audit, replay and rebuilding features after a
-- restart), review cases with their audit trail, and which transfer codes are checked.

CREATE TABLE risk_rule_sets (
  id            text    NOT NULL,
  version       integer NOT NULL CHECK (version >= 1),
  status        text    NOT NULL CHECK (status IN ('draft', 'published')),
  body          jsonb   NOT NULL,
  comment       text    NOT NULL DEFAULT '',
  created_by    text    NOT NULL,
  created_at    timestamptz NOT NULL,
  published_by  text,
  published_at  timestamptz,
  PRIMARY KEY (id, version)
);

-- Which rule set version (and model) decides (`live`) and which runs beside it unenforced (`shadow`).
CREATE TABLE risk_deployments (
  slot              text PRIMARY KEY CHECK (slot IN ('live', 'shadow')),
  rule_set_id       text,
  rule_set_version  integer,
  model_id          text,
  model_version     integer,
  updated_by        text NOT NULL,
  updated_at        timestamptz NOT NULL
);

-- Who changed what, for rule sets, deployments, lists, models and transfer policies.
CREATE TABLE risk_audit (
  seq        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at         timestamptz NOT NULL,
  actor      text NOT NULL,
  action     text NOT NULL,
  subject    text NOT NULL,
  details    jsonb
);
CREATE INDEX risk_audit_subject_idx ON risk_audit (subject, seq);

CREATE TABLE risk_lists (
  list        text NOT NULL CHECK (list IN ('allow', 'deny')),
  kind        text NOT NULL CHECK (kind IN ('customer', 'device', 'ip', 'counterparty', 'merchant')),
  value       text NOT NULL,
  reason      text NOT NULL DEFAULT '',
  expires_at  timestamptz,
  created_by  text NOT NULL,
  created_at  timestamptz NOT NULL,
  PRIMARY KEY (list, kind, value)
);

CREATE TABLE risk_models (
  id          text    NOT NULL,
  version     integer NOT NULL CHECK (version >= 1),
  kind        text    NOT NULL CHECK (kind IN ('scorecard', 'xgboost')),
  body        jsonb   NOT NULL,
  metrics     jsonb,
  created_by  text    NOT NULL,
  created_at  timestamptz NOT NULL,
  PRIMARY KEY (id, version)
);

CREATE TABLE risk_decisions (
  id                uuid PRIMARY KEY,           -- the event id the caller chose
  type              text NOT NULL,
  customer_id       text NOT NULL,
  occurred_at       timestamptz NOT NULL,
  event             jsonb NOT NULL,
  fingerprint       text NOT NULL,
  outcome           text NOT NULL CHECK (outcome IN ('allow', 'step_up', 'review', 'block')),
  score             double precision,
  reasons           jsonb NOT NULL,
  context           jsonb NOT NULL,
  rule_set_id       text,
  rule_set_version  integer,
  shadow            jsonb,
  decided_at        timestamptz NOT NULL
);
CREATE INDEX risk_decisions_time_idx ON risk_decisions (occurred_at, id);
CREATE INDEX risk_decisions_customer_idx ON risk_decisions (customer_id, occurred_at);

CREATE TABLE risk_cases (
  id           uuid PRIMARY KEY,
  decision_id  uuid NOT NULL UNIQUE REFERENCES risk_decisions (id),
  status       text NOT NULL CHECK (status IN ('open', 'approved', 'rejected')),
  assignee     text,
  -- The pending transfer that holds the funds while the case is open (payments only).
  transfer_id  uuid,
  created_at   timestamptz NOT NULL,
  updated_at   timestamptz NOT NULL
);
CREATE INDEX risk_cases_open_idx ON risk_cases (status, created_at);
CREATE INDEX risk_cases_transfer_idx ON risk_cases (transfer_id) WHERE transfer_id IS NOT NULL;

CREATE TABLE risk_case_events (
  seq      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  case_id  uuid NOT NULL REFERENCES risk_cases (id),
  at       timestamptz NOT NULL,
  actor    text NOT NULL,
  action   text NOT NULL CHECK (action IN ('opened', 'assigned', 'commented', 'approved', 'rejected')),
  comment  text
);
CREATE INDEX risk_case_events_case_idx ON risk_case_events (case_id, seq);

-- Transfer codes whose transfers are checked by the risk engine before they move money.
CREATE TABLE risk_transfer_policies (
  code        integer PRIMARY KEY CHECK (code BETWEEN 1 AND 65535),
  enabled     boolean NOT NULL,
  hold_timeout_seconds integer NOT NULL CHECK (hold_timeout_seconds BETWEEN 60 AND 31536000),
  updated_by  text NOT NULL,
  updated_at  timestamptz NOT NULL
);
