/**
 * The payees routes of the customer API, called the way the app's api.ts calls every route:
 * same-origin with the HttpOnly session cookie and the X-Capillary-Client header (which the
 * server requires on cookie-authenticated writes); problems come back as the app's ApiError.
 */
import { call } from '../../api';

export interface Payee {
  id: string;
  name: string;
  phone: string | null;
  account_id: string | null;
  created_at: string;
}


export const payees = {
  list: () => call<{ items: Payee[]; next_cursor: string | null }>('GET', '/v1/me/payees?limit=200'),
  add: (body: { name: string; phone?: string; account_id?: string }) => call<Payee>('POST', '/v1/me/payees', body),
  remove: (id: string) => call<void>('DELETE', `/v1/me/payees/${encodeURIComponent(id)}`),
};
