/**
 * The consent check every customer-token resource call makes before it touches anything:
 * the token's consent is loaded (one query, with its customer's mode) and must be authorised,
 * unexpired, of a kind that grants the permission, include the permission and the account,
 * belong to the token's app and customer, and be of the app's mode (sandbox/live).
 * Refusals are 403 problem+json (consent_revoked, consent_expired, …).
 */
import type { FastifyRequest } from 'fastify';
import type { Queryable } from '../db/port.js';
import { ProblemError } from '../server/problem.js';
import { checkAccess, type AccessNeed, type Consent } from './consents.js';
import { getConsentForAccess } from './consents-store.js';
import type { PartnerPrincipal } from './principal.js';
import { partnerOf } from './consents-http.js';

export interface CustomerAccess {
  principal: PartnerPrincipal & { customer_id: string; consent_id: string };
  consent: Consent;
}

export async function requireConsent(db: Queryable, req: FastifyRequest, need: AccessNeed, now: Date): Promise<CustomerAccess> {
  const principal = partnerOf(req);
  if (!principal.customer_id || !principal.consent_id) {
    throw new ProblemError('insufficient_scope', "this route needs a customer's token (authorization code flow under a consent)");
  }
  const loaded = await getConsentForAccess(db, principal.consent_id, now);
  const checked = checkAccess(loaded?.consent, principal, need, now);
  if (!checked.ok) throw new ProblemError(checked.code, checked.detail);
  if (loaded!.customer_mode !== principal.mode) {
    throw new ProblemError('consent_mode_mismatch', `a ${principal.mode} app sees only ${principal.mode} customers`);
  }
  return { principal: principal as CustomerAccess['principal'], consent: loaded!.consent };
}
