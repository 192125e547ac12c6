/**
 * A shop's checkout that pays with the customer's consent, through the Capillary SDK.
 * A tiny node:http server (no framework) with four pages:
 *
 *   GET  /               the basket
 *   POST /checkout       asks the bank for a payment consent for the basket total (the
 *                        shop's own token), pushes the authorization request (PAR + PKCE)
 *                        and redirects the customer's browser to the bank's consent page
 *   GET  /callback       the bank sends the browser back here: the SDK checks state and
 *                        issuer, exchanges the code, and the shop pays the total to its own
 *                        account with the customer's token; then gives the grant back
 *   POST /webhooks       the bank's signed events: openbanking.payment.completed confirms
 *                        the order (signature verified, de-duplicated by event id)
 *   GET  /orders/{id}    the order as JSON
 *
 * The shop is registered by the bank's operator (client_id, its public key, redirect URI,
 * webhook URL); the shop holds its private key and the webhook secret. State lives in memory:
 * a real shop keeps orders and pending authorizations in its database.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import {
  CapillaryApiError,
  CapillaryOAuthError,
  parseWebhook,
  uuidv7,
  WebhookSignatureError,
  type CapillaryClient,
  type PaymentEventData,
  type PendingAuthorization,
} from '../../sdk/src/index.js';

export interface CatalogueItem {
  sku: string;
  name: string;
  price_minor: bigint;
}

export const DEFAULT_CATALOGUE: CatalogueItem[] = [
  { sku: 'tea', name: 'Jasmine tea, 100 g', price_minor: 1250n },
  { sku: 'cup', name: 'Porcelain cup', price_minor: 2490n },
  { sku: 'pot', name: 'Clay teapot', price_minor: 8900n },
];

export type OrderStatus = 'awaiting_consent' | 'paid' | 'payment_pending' | 'cancelled' | 'failed';

export interface Order {
  id: string;
  lines: { sku: string; quantity: number; amount_minor: string }[];
  total_minor: string;
  currency: string;
  status: OrderStatus;
  consent_id: string | null;
  /** Chosen at checkout, so a retried payment is the same payment. */
  payment_id: string;
  payment_status: string | null;
  /** The bank's openbanking.payment.completed webhook arrived (signed) for this order. */
  confirmed_by_webhook: boolean;
  /** The shop gave the customer's tokens back after paying (it keeps no access). */
  tokens_revoked: boolean;
  failure: string | null;
}

export interface ShopOptions {
  /** The SDK client, configured with the shop's client_id and private key. */
  bank: CapillaryClient;
  /** Where the shop is reachable: redirect URI = publicUrl + /callback. */
  publicUrl: string;
  /** The shop's own account at the bank: payments go there. */
  merchantAccountId: string;
  currency: string;
  /** Shown once when the operator registered the shop. */
  webhookSecret: string;
  catalogue?: CatalogueItem[];
  /** The clock for webhook timestamps (tests). */
  now?: () => number;
}

const COOKIE = 'shop_checkout';
const BODY_BYTES_MAX = 64 * 1024;
const CONSENT_LIFETIME_MS = 30 * 60_000;

const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
const money = (minor: bigint | string, currency: string): string => {
  const v = BigInt(minor);
  return `${currency} ${v / 100n}.${(v % 100n).toString().padStart(2, '0')}`;
};

export class ShopCheckout {
  readonly orders = new Map<string, Order>();
  /** Pending authorizations by the browser's checkout cookie. */
  private readonly pending = new Map<string, PendingAuthorization & { order_id: string }>();
  /** Event ids already handled (webhooks are delivered at least once). */
  readonly seenEvents = new Set<string>();
  /** Every webhook request, for the operator's eyes (and the tests'). */
  readonly webhookLog: { event_id: string | null; topic: string | null; verified: boolean; reason?: string }[] = [];
  private readonly catalogue: CatalogueItem[];

  constructor(private readonly o: ShopOptions) {
    this.catalogue = o.catalogue ?? DEFAULT_CATALOGUE;
  }

  /** The SDK client the shop talks to the bank with. */
  get bank(): CapillaryClient {
    return this.o.bank;
  }

  get redirectUri(): string {
    return `${this.o.publicUrl}/callback`;
  }

  /** The node:http request handler. */
  readonly handle = (req: IncomingMessage, res: ServerResponse): void => {
    this.route(req, res).catch((err: unknown) => {
      if (!res.headersSent) send(res, 500, 'text/plain; charset=utf-8', `internal error: ${err instanceof Error ? err.message : String(err)}`);
      else res.end();
    });
  };

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.o.publicUrl);
    if (req.method === 'GET' && url.pathname === '/') return this.basket(res);
    if (req.method === 'POST' && url.pathname === '/checkout') return this.checkout(req, res);
    if (req.method === 'GET' && url.pathname === '/callback') return this.callback(req, res, url);
    if (req.method === 'POST' && url.pathname === '/webhooks') return this.webhook(req, res);
    const order = /^\/orders\/([0-9a-f-]{36})$/.exec(url.pathname);
    if (req.method === 'GET' && order) {
      const found = this.orders.get(order[1]!);
      return found ? send(res, 200, 'application/json', JSON.stringify(found)) : send(res, 404, 'application/json', '{"error":"no such order"}');
    }
    send(res, 404, 'text/plain; charset=utf-8', 'not found');
  }

  private basket(res: ServerResponse): void {
    const rows = this.catalogue
      .map((i) => `<tr><td>${escapeHtml(i.name)}</td><td>${money(i.price_minor, this.o.currency)}</td><td><input name="${i.sku}" type="number" min="0" max="99" value="0"></td></tr>`)
      .join('');
    page(res, 200, 'Your basket', `<form method="post" action="/checkout"><table>${rows}</table><button>Pay with my bank</button></form>`);
  }

  /** The basket total → a payment consent → PAR → the bank's consent page. */
  private async checkout(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const form = new URLSearchParams(await readBody(req));
    const lines: Order['lines'] = [];
    let total = 0n;
    for (const item of this.catalogue) {
      const quantity = Number(form.get(item.sku) ?? '0');
      if (!Number.isInteger(quantity) || quantity < 0 || quantity > 99) return page(res, 400, 'Basket', 'Quantities are whole numbers from 0 to 99.');
      if (quantity === 0) continue;
      const amount = item.price_minor * BigInt(quantity);
      lines.push({ sku: item.sku, quantity, amount_minor: amount.toString() });
      total += amount;
    }
    if (total === 0n) return page(res, 400, 'Basket', 'The basket is empty.');

    const order: Order = {
      id: uuidv7(),
      lines,
      total_minor: total.toString(),
      currency: this.o.currency,
      status: 'awaiting_consent',
      consent_id: null,
      payment_id: uuidv7(),
      payment_status: null,
      confirmed_by_webhook: false,
      tokens_revoked: false,
      failure: null,
    };
    this.orders.set(order.id, order);

    // The consent allows exactly this order: one payment of the total, to the shop's account.
    const consent = await this.o.bank.consents.create(
      {
        kind: 'payment_initiation',
        permissions: ['payments:create'],
        expires_at: new Date(Date.now() + CONSENT_LIFETIME_MS).toISOString(),
        payment: {
          currency: this.o.currency,
          amount_limit_minor: order.total_minor,
          per_payment_max_minor: order.total_minor,
          creditor_account_id: this.o.merchantAccountId,
        },
      },
      { idempotencyKey: `consent-${order.id}` },
    );
    order.consent_id = consent.id;
    const auth = await this.o.bank.oauth.authorize({ consent_id: consent.id, redirect_uri: this.redirectUri });
    const session = randomBytes(24).toString('base64url');
    this.pending.set(session, { state: auth.state, code_verifier: auth.code_verifier, redirect_uri: auth.redirect_uri, consent_id: auth.consent_id, order_id: order.id });
    res.setHeader('set-cookie', `${COOKIE}=${session}; Path=/; HttpOnly; SameSite=Lax; Max-Age=900`);
    res.statusCode = 303;
    res.setHeader('location', auth.url);
    res.end();
  }

  /** The bank's redirect: check, exchange, pay, give the grant back. */
  private async callback(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const session = cookie(req, COOKIE);
    const pending = session ? this.pending.get(session) : undefined;
    if (!session || !pending) return page(res, 400, 'Checkout', 'This checkout has expired or was started in another browser. Start again from the basket.');
    this.pending.delete(session); // one use
    res.setHeader('set-cookie', `${COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0`);
    const order = this.orders.get(pending.order_id)!;
    try {
      const tokens = await this.o.bank.oauth.callback(url, pending);
      const customer = this.o.bank.withCustomer(tokens);
      const payment = await customer.payments.create(
        { id: order.payment_id, creditor_account_id: this.o.merchantAccountId, amount_minor: order.total_minor, currency: order.currency, reference: `Order ${order.id}` },
        { idempotencyKey: `payment-${order.id}` },
      );
      order.payment_status = payment.status;
      if (order.status === 'awaiting_consent') order.status = payment.status === 'completed' ? 'paid' : 'payment_pending';
      // A one-off payment: the shop keeps no access to the customer's account.
      order.tokens_revoked = await customer.customer!.revoke().then(
        () => true,
        () => false, // the tokens expire in minutes anyway; the order is paid either way
      );
      return page(res, 200, 'Thank you', `Order ${order.id}: ${order.status === 'paid' ? 'paid' : 'payment pending'}, ${money(order.total_minor, order.currency)}.`);
    } catch (err) {
      if (err instanceof CapillaryOAuthError && err.error === 'access_denied') {
        order.status = 'cancelled';
        return page(res, 200, 'Checkout cancelled', 'You did not approve the payment. Nothing was charged.');
      }
      order.status = 'failed';
      order.failure = err instanceof CapillaryApiError ? err.code : err instanceof CapillaryOAuthError ? err.error : 'error';
      const status = err instanceof CapillaryApiError || err instanceof CapillaryOAuthError ? 400 : 502;
      return page(res, status, 'Payment failed', `The bank refused the payment (${escapeHtml(order.failure)}). Nothing was charged.`);
    }
  }

  /** A signed event from the bank. */
  private async webhook(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = await readBody(req); // the raw body: verify before parsing
    const header = req.headers['capillary-signature'];
    let event;
    try {
      event = parseWebhook<PaymentEventData>(this.o.webhookSecret, raw, typeof header === 'string' ? header : undefined, this.o.now ? { now: this.o.now() } : {});
    } catch (err) {
      const reason = err instanceof WebhookSignatureError ? err.reason : 'unparseable';
      this.webhookLog.push({ event_id: null, topic: null, verified: false, reason });
      return send(res, 400, 'application/json', JSON.stringify({ error: reason }));
    }
    this.webhookLog.push({ event_id: event.id, topic: event.topic, verified: true });
    if (this.seenEvents.has(event.id)) return send(res, 200, 'application/json', '{"duplicate":true}');
    this.seenEvents.add(event.id);
    const order = [...this.orders.values()].find((o) => o.payment_id === event.data.payment_id);
    if (order && event.topic === 'openbanking.payment.completed') {
      order.confirmed_by_webhook = true;
      order.payment_status = 'completed';
      order.status = 'paid';
    } else if (order && event.topic === 'openbanking.payment.rejected') {
      order.payment_status = 'rejected';
      order.status = 'failed';
      order.failure = event.data.reason_code ?? 'rejected';
    }
    send(res, 200, 'application/json', '{"ok":true}');
  }
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.statusCode = status;
  res.setHeader('content-type', type);
  res.end(body);
}

function page(res: ServerResponse, status: number, title: string, html: string): void {
  send(res, status, 'text/html; charset=utf-8', `<!doctype html><html><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head><body><h1>${escapeHtml(title)}</h1><p>${html}</p></body></html>`);
}

function cookie(req: IncomingMessage, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return v.join('=');
  }
  return undefined;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > BODY_BYTES_MAX) {
        reject(new Error('body too large'));
        req.destroy();
      } else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/**
 * Starts the HTTP server first (its address is the shop's public URL when none is given),
 * then makes the shop with it: the operator registers redirect and webhook URLs that need it.
 */
export async function startShopServer(
  makeShop: (publicUrl: string) => ShopCheckout | Promise<ShopCheckout>,
  options: { port?: number; host?: string; publicUrl?: string } = {},
): Promise<{ server: Server; url: string; shop: ShopCheckout; close(): Promise<void> }> {
  let handler: ((req: IncomingMessage, res: ServerResponse) => void) | undefined;
  const server = createServer((req, res) => (handler ? handler(req, res) : send(res, 503, 'text/plain', 'starting')));
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve));
  const address = server.address() as AddressInfo;
  const url = options.publicUrl ?? `http://${options.host ?? '127.0.0.1'}:${address.port}`;
  const shop = await makeShop(url);
  handler = shop.handle;
  return {
    server,
    url,
    shop,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
