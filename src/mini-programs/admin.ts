/**
 * What an operator does to a partner app's mini-program, shared by the admin API
 * (admin-http.ts) and the CLI (`capillary partners mini-program`): set it (create or
 * replace), read it. The app must exist; the merchant account must exist in the ledger.
 */
import type { Queryable } from '../db/port.js';
import { getAccounts } from '../ledger/store.js';
import { findApp } from '../openbanking/apps-store.js';
import { MINI_PROGRAM_PATH } from '../server/web-static.js';
import { checkMiniProgram, type MiniProgram, type MiniProgramInput, type Refusal } from './core.js';
import { upsertMiniProgram } from './store.js';

export async function setMiniProgram(db: Queryable, client_id: string, input: MiniProgramInput, now: Date): Promise<{ ok: true; mini_program: MiniProgram } | Refusal> {
  const app = await findApp(db, client_id);
  if (!app) return { ok: false, code: 'partner_app_not_found', detail: `no partner app ${client_id}` };
  const checked = checkMiniProgram(input);
  if (!checked.ok) return checked;
  const merchant = checked.value.merchant_account_id;
  if (merchant !== null && !(await getAccounts(db, [merchant])).has(merchant)) {
    return { ok: false, code: 'invalid_mini_program', detail: `no ledger account ${merchant}`, field: 'merchant_account_id' };
  }
  const saved = await upsertMiniProgram(db, client_id, checked.value, now);
  if (saved === 'slug_taken') return { ok: false, code: 'mini_program_slug_taken', detail: `another partner app's mini-program uses the slug ${checked.value.slug}`, field: 'slug' };
  return { ok: true, mini_program: saved };
}

/** Where the app frames it and shows its icon (same origin, under /mini-programs/<slug>/). */
export const entryUrl = (m: Pick<MiniProgram, 'slug' | 'entry_path'>): string => `${MINI_PROGRAM_PATH}${m.slug}/${m.entry_path}`;
export const iconUrl = (m: Pick<MiniProgram, 'slug' | 'icon'>): string => `${MINI_PROGRAM_PATH}${m.slug}/${m.icon}`;

export function miniProgramJson(m: MiniProgram) {
  return {
    client_id: m.client_id,
    slug: m.slug,
    name: m.name,
    icon: m.icon,
    entry_path: m.entry_path,
    entry_url: entryUrl(m),
    bridge_scopes: m.bridge_scopes,
    merchant_account_id: m.merchant_account_id,
    connect_origins: m.connect_origins,
    status: m.status,
    created_at: m.created_at.toISOString(),
    updated_at: m.updated_at.toISOString(),
  };
}
