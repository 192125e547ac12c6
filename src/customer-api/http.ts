/** The customer API (`/v1/me…`): every route carries `config.customer`, so a session authenticates it (src/identity/sessions.ts). */
import type { FastifyInstance } from 'fastify';
import type { Ledger } from '../ledger/service.js';
import { registerAccountRoutes } from './accounts-http.js';
import { registerPaymentRoutes } from './payments-http.js';

export function registerCustomerApi(app: FastifyInstance, ledger: Ledger): void {
  registerAccountRoutes(app, ledger);
  registerPaymentRoutes(app, ledger);
}
