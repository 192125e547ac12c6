/**
 * Registers the open-banking registry and resource routes: operator routes for partner
 * apps, customers and consents (API key, openbanking:admin), the partner's consent API,
 * and the resource API (OAuth access tokens). Starts the payment-settling sweep.
 */
import type { FastifyInstance } from 'fastify';
import type { Db } from '../db/port.js';
import type { Envelopes } from '../envelopes/service.js';
import type { Ledger } from '../ledger/service.js';
import type { Lending } from '../lending/service.js';
import type { Risk } from '../risk/service.js';
import type { Clock } from '../server/clock.js';
import { registerPartnerAppRoutes } from './apps-http.js';
import { registerConsentRoutes } from './consents-http.js';
import { registerCustomerRoutes } from './customers-http.js';
import { Payments } from './payments-service.js';
import { registerAccountResources } from './resources-accounts.js';
import { registerEnvelopeResources } from './resources-envelopes.js';
import { registerLoanResources } from './resources-loans.js';
import { registerPaymentResources } from './resources-payments.js';
import { registerRiskResources } from './resources-risk.js';
import { registerMiniProgramAdminRoutes } from '../mini-programs/admin-http.js';

export const PAYMENT_SWEEP_INTERVAL_MS = 30_000;

export interface RegistryDeps {
  db: Db;
  clock: Clock;
  ledger: Ledger;
  envelopes: Envelopes;
  lending: Lending;
  risk: Risk;
  /** Run the payment-settling sweep on a timer (default true; tests call `payments.sweep()` themselves). */
  payment_sweep?: boolean;
}

export function registerOpenBankingRegistry(app: FastifyInstance, deps: RegistryDeps): { payments: Payments } {
  const { db, clock, ledger } = deps;
  const payments = new Payments(db, ledger, clock);
  registerPartnerAppRoutes(app, db, clock);
  registerMiniProgramAdminRoutes(app, db, clock);
  registerCustomerRoutes(app, db, clock);
  registerConsentRoutes(app, db, clock);
  registerAccountResources(app, db, ledger, clock);
  registerPaymentResources(app, db, ledger, clock, payments);
  registerEnvelopeResources(app, db, deps.envelopes, clock);
  registerLoanResources(app, db, deps.lending, clock);
  registerRiskResources(app, deps.risk);

  if (deps.payment_sweep !== false) {
    let running = false;
    const timer = setInterval(() => {
      if (running) return;
      running = true;
      payments
        .sweep()
        .catch((err: unknown) => app.log.warn({ err }, 'payment-settling sweep failed; retried on the next tick'))
        .finally(() => (running = false));
    }, PAYMENT_SWEEP_INTERVAL_MS);
    timer.unref();
    app.addHook('onClose', async () => clearInterval(timer));
  }
  return { payments };
}
