-- The velocity feature catalogue as data (src/risk/catalogue.ts): every change is a new
-- version, never an update, so the table is the history of who changed what and why. The
-- highest version is the catalogue in force; an empty table means the built-in defaults
-- (the engine seeds them as version 1 when it first starts).
CREATE TABLE risk_feature_catalogue (
  version     integer PRIMARY KEY CHECK (version >= 1),
  features    jsonb NOT NULL CHECK (jsonb_typeof(features) = 'array'),
  comment     text NOT NULL DEFAULT '',
  created_by  text NOT NULL,
  created_at  timestamptz NOT NULL
);
