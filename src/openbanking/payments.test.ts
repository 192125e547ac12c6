import { describe, expect, it } from 'vitest';
import { OB_PAYMENT_TRANSFER_CODE, paymentTransfer, paymentTransferId, samePaymentRequest, settlementOfTransfer, type Payment } from './payments.js';
import { magicOutcome } from './sandbox.js';

const p: Payment = {
  id: '0195a000-0000-7000-8000-0000000000e1',
  consent_id: '0195a000-0000-7000-8000-000000000001',
  client_id: 'app_1',
  customer_id: 'cust-1',
  debtor_account_id: '0195a000-0000-7000-8000-0000000000a1',
  creditor_account_id: '0195a000-0000-7000-8000-0000000000c1',
  amount_minor: 1234n,
  currency: 'USD',
  reference: 'order 42',
  status: 'pending',
  reason_code: null,
  transfer_id: '',
  created_at: new Date(0),
  updated_at: new Date(0),
};

describe('payment transfers', () => {
  it('derives the transfer id from the payment id, stably and case-insensitively', () => {
    expect(paymentTransferId(p.id)).toBe(paymentTransferId(p.id.toUpperCase()));
    expect(paymentTransferId(p.id)).not.toBe(paymentTransferId('0195a000-0000-7000-8000-0000000000e2'));
    expect(paymentTransferId(p.id)).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('builds the same transfer from the same payment (a recovery resubmits it exactly)', () => {
    const withId = { ...p, transfer_id: paymentTransferId(p.id) };
    expect(paymentTransfer(withId)).toEqual(paymentTransfer({ ...withId }));
    expect(paymentTransfer(withId)).toMatchObject({ code: OB_PAYMENT_TRANSFER_CODE, amount: 1234n, flags: 0, metadata: { customer_id: 'cust-1', channel: 'open_banking', payment_id: p.id } });
  });
});

describe('settlementOfTransfer', () => {
  it('maps a posted transfer to completed and a held one by its state', () => {
    expect(settlementOfTransfer({ flags: 0, pending_state: null })).toEqual({ status: 'completed' });
    expect(settlementOfTransfer({ flags: 2, pending_state: 'pending' })).toEqual({ status: 'pending', reason_code: 'risk_review' });
    expect(settlementOfTransfer({ flags: 2, pending_state: 'posted' })).toEqual({ status: 'completed' });
    expect(settlementOfTransfer({ flags: 2, pending_state: 'voided' })).toEqual({ status: 'rejected', reason_code: 'risk_blocked' });
    expect(settlementOfTransfer({ flags: 2, pending_state: 'expired' })).toEqual({ status: 'rejected', reason_code: 'risk_review_expired' });
  });
});

describe('samePaymentRequest', () => {
  const request = { client_id: 'app_1', consent_id: p.consent_id, creditor_account_id: p.creditor_account_id.toUpperCase(), amount_minor: 1234n, currency: 'USD', reference: 'order 42' };
  it('is true only for the same request', () => {
    expect(samePaymentRequest(p, request)).toBe(true);
    expect(samePaymentRequest(p, { ...request, amount_minor: 1235n })).toBe(false);
    expect(samePaymentRequest(p, { ...request, client_id: 'app_2' })).toBe(false);
    expect(samePaymentRequest(p, { ...request, reference: null })).toBe(false);
  });
});

describe('sandbox magic amounts', () => {
  it('apply to sandbox apps only', () => {
    expect(magicOutcome('sandbox', 666n)).toEqual({ kind: 'reject', code: 'exceeds_credits' });
    expect(magicOutcome('sandbox', 999n)).toEqual({ kind: 'reject', code: 'risk_blocked' });
    expect(magicOutcome('sandbox', 409n)).toEqual({ kind: 'reject', code: 'account_frozen' });
    expect(magicOutcome('sandbox', 503n)).toEqual({ kind: 'unavailable' });
    expect(magicOutcome('sandbox', 667n)).toBeUndefined();
    expect(magicOutcome('live', 666n)).toBeUndefined();
  });
});
