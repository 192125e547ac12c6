-- A payment's consent is read, locked (FOR UPDATE) and checked by its payment group in the
-- same transaction that writes the payment row (src/openbanking/payment-group.ts): a payment
-- under a consent that does not exist is refused and never written. The foreign key checked
-- that again for every row, on the ledger writer's serial path, where every batch waits
-- (about 40 µs a payment, a tenth of a 24-payment batch: docs/benchmarks.md). What else it
-- guaranteed, that a consent with payments is never deleted, now holds for every consent:
-- consents are never deleted (a revoked or expired one stays, as the record of what the
-- customer agreed to), and the database refuses a DELETE or TRUNCATE.
ALTER TABLE ob_payments DROP CONSTRAINT ob_payments_consent_id_fkey;

CREATE FUNCTION consents_are_never_deleted() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION 'consents are never deleted (revoke one instead): % is not allowed', TG_OP;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER consents_never_deleted
  BEFORE DELETE ON consents
  FOR EACH ROW EXECUTE FUNCTION consents_are_never_deleted();

CREATE TRIGGER consents_never_truncated
  BEFORE TRUNCATE ON consents
  FOR EACH STATEMENT EXECUTE FUNCTION consents_are_never_deleted();

-- Nor is ob_payments indexed on transfer_id: a transfer id is derived from its payment's id
-- (unique), and the readers that start from a transfer (the outbox relays) reach the payment
-- through the payment id in the transfer's metadata, by primary key (PAYMENT_OF_TRANSFER in
-- src/openbanking/payments.ts). The index cost every payment another random insert on the
-- writer's serial path.
ALTER TABLE ob_payments DROP CONSTRAINT ob_payments_transfer_id_key;
