-- A payment group reads its consents' totals without locking them (src/openbanking/payment-group.ts):
-- the ledger writer's serial path no longer pays a row lock per consent before its write. The
-- write instead checks, row by row and under the update's own lock, that each consent is as
-- the group read it (still authorised, the same used total); when one changed meanwhile (a
-- revocation, a red envelope's reservation, a release), this function makes the statement fail
-- as a serialization failure, and the writer runs the batch again on fresh rows, that time
-- with the consents locked as it reads them. Used inside an UPDATE's CASE, so it runs only
-- for a row that changed: it is volatile and never evaluated ahead.
CREATE FUNCTION consent_changed_since_read(consent_id uuid) RETURNS int8 AS $$
BEGIN
  RAISE EXCEPTION 'consent % changed between the payment group''s read and its write', consent_id
    USING ERRCODE = 'serialization_failure';
END;
$$ LANGUAGE plpgsql VOLATILE;
