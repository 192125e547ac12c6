-- Decisions store their context compactly (src/risk/context-layout.ts): the values as a
-- JSON array, and the id of a layout (the ordered key list) stored once here. The full
-- context was ~1.4 KB of JSON per decision, most of it key names repeated on every row.
-- Rows stored before this keep their full `context`.
CREATE TABLE risk_context_layouts (
  id    text PRIMARY KEY,   -- a digest of the keys, so every process names a layout alike
  keys  jsonb NOT NULL
);

-- No foreign key to risk_context_layouts: a decision's layout is written in the same
-- statement as the decision (src/risk/store.ts insertDecisions), and a per-row key check
-- would cost more than the whole compact row saves.
ALTER TABLE risk_decisions ALTER COLUMN context DROP NOT NULL;
ALTER TABLE risk_decisions ADD COLUMN context_layout text;
ALTER TABLE risk_decisions ADD COLUMN context_values json;
ALTER TABLE risk_decisions ADD CONSTRAINT risk_decisions_context_stored
  CHECK (context IS NOT NULL OR (context_layout IS NOT NULL AND context_values IS NOT NULL));
