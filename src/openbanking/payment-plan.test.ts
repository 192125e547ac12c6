import { describe, expect, it } from 'vitest';
import { planPayments, type ConsentTotals, type CreditorFacts, type PlannedPayment } from './payment-plan.js';

const NOW = new Date(Date.UTC(2026, 5, 1));
const LATER = new Date(NOW.getTime() + 86_400_000);
const consent = (over: Partial<ConsentTotals> = {}): ConsentTotals => ({ id: 'c1', status: 'authorised', expires_at: LATER, amount_limit_minor: 1_000n, amount_used_minor: 0n, ...over });
const creditors = new Map<string, CreditorFacts>([
  ['shop', { currency: 'USD', mode: 'sandbox' }],
  ['live-shop', { currency: 'USD', mode: 'live' }],
  ['euro-shop', { currency: 'EUR', mode: 'sandbox' }],
]);
let n = 0;
const payment = (over: Partial<PlannedPayment> = {}): PlannedPayment => ({
  id: `p${++n}`,
  consent_id: 'c1',
  creditor_account_id: 'shop',
  amount_minor: 100n,
  currency: 'USD',
  mode: 'sandbox',
  moves_money: true,
  ...over,
});
const plan = (members: PlannedPayment[], consents: ConsentTotals[] = [consent()], existing: string[] = []) =>
  planPayments(members, { existing: new Set(existing), consents: new Map(consents.map((c) => [c.id, c])), creditors, now: NOW });
const kinds = (r: ReturnType<typeof plan>) => r.plans.map((p) => (p.kind === 'refused' ? p.refusal.code : p.kind));

describe('planPayments', () => {
  it('takes members in order against the running total: an earlier payment may use up what a later one needed', () => {
    const r = plan([payment({ amount_minor: 600n }), payment({ amount_minor: 500n }), payment({ amount_minor: 400n })]);
    expect(kinds(r)).toEqual(['accepted', 'consent_limit_exceeded', 'accepted']);
    expect(r.used_totals).toEqual(new Map([['c1', 1_000n]]));
  });

  it('starts from the stored used total and keeps consents apart', () => {
    const r = plan(
      [payment({ amount_minor: 300n }), payment({ consent_id: 'c2', amount_minor: 300n }), payment({ amount_minor: 1n })],
      [consent({ amount_used_minor: 700n }), consent({ id: 'c2', amount_limit_minor: 200n })],
    );
    expect(kinds(r)).toEqual(['accepted', 'consent_limit_exceeded', 'consent_limit_exceeded']);
    expect(r.used_totals).toEqual(new Map([['c1', 1_000n]]));
  });

  it('names the consents a limit refusal was decided on (their write needs the total as read), and only those', () => {
    const r = plan(
      [payment({ amount_minor: 600n }), payment({ amount_minor: 500n }), payment({ consent_id: 'c2', amount_minor: 100n }), payment({ consent_id: 'c3' })],
      [consent(), consent({ id: 'c2' }), consent({ id: 'c3', status: 'revoked' })],
    );
    expect(kinds(r)).toEqual(['accepted', 'consent_limit_exceeded', 'accepted', 'consent_revoked']);
    expect(r.limit_refused).toEqual(new Set(['c1']));
    expect(plan([payment()]).limit_refused.size).toBe(0);
  });

  it('a member that moves no money (blocked, sandbox magic) is checked but reserves nothing', () => {
    const r = plan([payment({ amount_minor: 900n, moves_money: false }), payment({ amount_minor: 900n }), payment({ amount_minor: 2_000n, moves_money: false })]);
    expect(kinds(r)).toEqual(['accepted', 'accepted', 'consent_limit_exceeded']);
    expect(r.used_totals).toEqual(new Map([['c1', 900n]]));
  });

  it('a stored id, or one seen earlier in the group, is a replay; the replay reserves nothing', () => {
    const r = plan([payment({ id: 'old' }), payment({ id: 'twice' }), payment({ id: 'twice' })], [consent()], ['old']);
    expect(kinds(r)).toEqual(['exists', 'accepted', 'exists']);
    expect(r.used_totals).toEqual(new Map([['c1', 100n]]));
  });

  it('refuses an unknown creditor, one of the other mode (it does not exist for this app), and one in another currency', () => {
    const r = plan([payment({ creditor_account_id: 'nobody' }), payment({ creditor_account_id: 'live-shop' }), payment({ creditor_account_id: 'euro-shop' })]);
    expect(kinds(r)).toEqual(['account_not_found', 'account_not_found', 'currency_mismatch']);
    expect(r.used_totals.size).toBe(0);
  });

  it("says why the consent refuses: revoked (or gone), expired, not authorised; a limit's detail names what is left", () => {
    expect(kinds(plan([payment()], [consent({ status: 'revoked' })]))).toEqual(['consent_revoked']);
    expect(kinds(plan([payment()], []))).toEqual(['consent_revoked']);
    expect(kinds(plan([payment()], [consent({ expires_at: NOW })]))).toEqual(['consent_expired']);
    expect(kinds(plan([payment()], [consent({ status: 'awaiting_authorisation' })]))).toEqual(['consent_not_authorised']);
    const [limited] = plan([payment({ amount_minor: 301n })], [consent({ amount_used_minor: 700n })]).plans;
    expect(limited).toMatchObject({ kind: 'refused', refusal: { code: 'consent_limit_exceeded', field: 'amount_minor', detail: "301 is more than the 300 left of the consent's limit of 1000" } });
  });
});
