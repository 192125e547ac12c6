/**
 * The red-envelope routes of the customer API (docs/app-api.md), called the way the app's
 * api.ts calls every route: same-origin with the session cookie and X-Capillary-Client.
 */
import { call } from '../../api';

export interface EnvelopeSummary {
  id: string;
  mode: 'random' | 'equal';
  currency: string;
  total_amount_minor: string;
  remaining_amount_minor: string;
  claimed_amount_minor: string;
  refunded_amount_minor: string;
  share_count: number;
  claimed_count: number;
  greeting: string;
  status: 'open' | 'empty' | 'expired';
  expires_at: string;
  created_at: string;
  finished_at: string | null;
  share_link?: string;
}
export interface GrabLine {
  position: number;
  name: string;
  amount_minor: string;
  grabbed_at: string;
  luckiest: boolean;
  mine: boolean;
}
export interface EnvelopeDetail extends EnvelopeSummary {
  sender_name: string;
  sent_by_me: boolean;
  my_grab: { amount_minor: string; position: number; account_id: string; grabbed_at: string } | null;
  grabs: GrabLine[];
  grabs_truncated: boolean;
}
export interface GrabResult {
  envelope_id: string;
  amount_minor: string;
  currency: string;
  account_id: string;
  position: number;
  grabbed_at: string;
  replayed: boolean;
}
export interface SendRequest {
  id: string;
  from_account_id: string;
  mode: 'random' | 'equal';
  total_amount_minor: string;
  share_count: number;
  greeting?: string;
}


const enc = encodeURIComponent;

export const envelopesApi = {
  send: (body: SendRequest) => call<EnvelopeSummary>('POST', '/v1/me/envelopes', body),
  list: (cursor?: string) => call<{ items: EnvelopeSummary[]; next_cursor: string | null }>('GET', `/v1/me/envelopes?limit=20${cursor ? `&cursor=${enc(cursor)}` : ''}`),
  get: (id: string, token: string | null) => call<EnvelopeDetail>('GET', `/v1/me/envelopes/${enc(id)}${token ? `?token=${enc(token)}` : ''}`),
  grab: (id: string, link_token: string) => call<GrabResult>('POST', `/v1/me/envelopes/${enc(id)}/grabs`, { link_token }),
};
