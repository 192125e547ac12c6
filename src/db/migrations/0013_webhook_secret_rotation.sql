-- Webhook secret rotation with an overlap (docs/open-banking.md, "The signature"): a rotation
-- keeps the replaced secret live until webhook_secret_previous_until, and deliveries sent
-- before then are signed with both, so a receiver that has not yet deployed the new secret
-- still verifies them. Like webhook_secret, the previous one is kept in clear (needed to
-- sign) and is never shown or logged. Both are NULL when there is no previous secret.
ALTER TABLE partner_apps ADD COLUMN webhook_secret_previous text;
ALTER TABLE partner_apps ADD COLUMN webhook_secret_previous_until timestamptz;
ALTER TABLE partner_apps ADD CONSTRAINT partner_apps_webhook_secret_previous_pair
  CHECK ((webhook_secret_previous IS NULL) = (webhook_secret_previous_until IS NULL));
