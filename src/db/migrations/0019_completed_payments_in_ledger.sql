-- A payment that completes with its transfer (nearly every one) no longer gets a row in
-- ob_payments: its ledger transfer records all of it (src/openbanking/payments.ts,
-- COMPLETED_PAYMENT_OF_TRANSFER), and the ledger writer's serial path, where every batch
-- waits, writes one row fewer per payment. Held and rejected payments keep their rows, and
-- so do the rows written before this migration; a row, where there is one, is the payment's
-- record. The transfer can be taken at its word because its code (7001) is reserved: the
-- ledger's API refuses new transfers with it (transfer_code_reserved).
--
-- A consent's payments are listed newest first, keyset-paginated by (created_at, payment id);
-- those completed with their transfer are found through this index, in that order. Only
-- payments' transfers (their code) are in it, so no other transfer pays for it. The predicate
-- is the code alone, which PostgreSQL estimates from its statistics: with more conditions
-- (on the metadata, the flags) it took the index to be tiny and scanned all of it beside the
-- primary key for lookups of transfers by id. The payment id is compared bytewise
-- (COLLATE "C"): lowercase uuid text then sorts as the uuids do, whatever the collation.
--
-- Building it scans the whole transfers table and, inside this migration's transaction,
-- holds writes to it meanwhile. On a large ledger build it first, while the previous version
-- still serves, with the same name and definition and CONCURRENTLY (which does not hold
-- writes), outside any transaction:
--   CREATE INDEX CONCURRENTLY transfers_payment_consent_idx
--     ON transfers ((metadata->>'consent_id'), created_at DESC, (metadata->>'payment_id') COLLATE "C" DESC)
--     WHERE code = 7001;
-- This migration then finds it and builds nothing.
CREATE INDEX IF NOT EXISTS transfers_payment_consent_idx
  ON transfers ((metadata->>'consent_id'), created_at DESC, (metadata->>'payment_id') COLLATE "C" DESC)
  WHERE code = 7001;
