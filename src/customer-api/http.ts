/** The customer API (`/v1/me…`): every route carries `config.customer`, so a session authenticates it (src/identity/sessions.ts). */
import type { FastifyInstance } from 'fastify';
import type { Ledger } from '../ledger/service.js';
import { registerAccountRoutes } from './accounts-http.js';
import { registerPaymentRoutes } from './payments-http.js';
import { registerMiniProgramRoutes } from './mini-programs-http.js';
import { registerCustomerLoanRoutes } from './loans-http.js';
import type { Lending } from '../lending/service.js';
import { registerEnvelopeAppRoutes } from './envelopes-http.js';
import type { Envelopes } from '../envelopes/service.js';

/** `services`: the domains some routes stand on beyond the ledger (each registers only when given). */
export function registerCustomerApi(app: FastifyInstance, ledger: Ledger, services: { lending?: Lending; envelopes?: Envelopes } = {}): void {
  registerAccountRoutes(app, ledger);
  registerPaymentRoutes(app, ledger);
  registerMiniProgramRoutes(app, ledger);
  if (services.lending) registerCustomerLoanRoutes(app, ledger, services.lending);
  if (services.envelopes) registerEnvelopeAppRoutes(app, ledger, services.envelopes);
}
