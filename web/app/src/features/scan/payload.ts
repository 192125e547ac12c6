/**
 * The pay-code payload (GET /v1/me/pay-code): `capillary:pay?to=<account id>&name=<name>`,
 * optionally `&amount=<minor units>`. Parsed strictly: anything else is not a pay code.
 */
export interface PayCode {
  account_id: string;
  name: string;
  amount_minor?: string;
}

const PREFIX = 'capillary:pay?';
const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const AMOUNT = /^[1-9][0-9]{0,18}$/;

export function parsePayCode(text: string): PayCode | undefined {
  const trimmed = text.trim();
  if (!trimmed.startsWith(PREFIX) || trimmed.length > 1000) return undefined;
  let q: URLSearchParams;
  try {
    q = new URLSearchParams(trimmed.slice(PREFIX.length));
  } catch {
    return undefined;
  }
  const to = q.get('to') ?? '';
  const name = (q.get('name') ?? '').trim().slice(0, 80);
  const amount = q.get('amount');
  if (!UUID.test(to)) return undefined;
  if (amount !== null && !AMOUNT.test(amount)) return undefined;
  return { account_id: to.toLowerCase(), name, ...(amount !== null ? { amount_minor: amount } : {}) };
}
