/**
 * The mini-program routes of the customer API (src/customer-api/mini-programs-http.ts), called
 * like every route of the app: same-origin, session cookie, X-Capillary-Client header.
 * Only the host calls them, after the customer approved a sheet: a mini-program cannot.
 */
import { call } from '../../api';

export interface MiniProgramItem {
  client_id: string;
  slug: string;
  name: string;
  partner_name: string;
  icon_url: string;
  entry_url: string;
  bridge_scopes: string[];
}

export interface AuthCodeResult {
  code: string;
  redirect_uri: string;
  consent_id: string;
  scope: string;
  expires_in: number;
}

export interface PaymentResult {
  id: string;
  status: 'completed' | 'pending' | 'rejected';
  reason_code?: string;
  amount_minor: string;
  currency: string;
  reference: string;
  payee_name: string;
  created_at: string;
}


const base = (client_id: string) => `/v1/me/mini-programs/${encodeURIComponent(client_id)}`;

export const miniApi = {
  list: () => call<{ items: MiniProgramItem[] }>('GET', '/v1/me/mini-programs'),
  authCode: (client_id: string, body: { scope: string; account_ids: string[]; code_challenge: string; code_challenge_method: 'S256'; redirect_uri?: string }) =>
    call<AuthCodeResult>('POST', `${base(client_id)}/auth-code`, body),
  pay: (client_id: string, body: { id: string; from_account_id: string; amount_minor: string; currency: string; reference: string }) =>
    call<PaymentResult>('POST', `${base(client_id)}/payments`, body),
};
