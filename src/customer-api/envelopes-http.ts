/**
 * Red envelopes in the customer app (`/v1/me/envelopes…`): send one from my own account with a
 * share link, look at one by its link, grab a share into my own account, list what I sent.
 * The rules (splitting, audience, expiry, replays) are the envelopes domain's (src/envelopes);
 * this file decides only who may see what: the sender, or a holder of the link token.
 */
import { timingSafeEqual } from 'node:crypto';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Ledger } from '../ledger/service.js';
import { EXPIRY_SECONDS_DEFAULT, EXPIRY_SECONDS_MAX, EXPIRY_SECONDS_MIN, GREETING_CHARS_MAX, SHARES_MAX, type Envelope, type Grab } from '../envelopes/core.js';
import type { Envelopes } from '../envelopes/service.js';
import { accountMode, findCustomer } from '../openbanking/customers-store.js';
import { PageCursor, PageLimit, decodeCursor, encodeCursor } from '../server/cursor.js';
import { ProblemError } from '../server/problem.js';
import { Problem } from '../ledger/schemas.js';
import { grabsOf } from '../envelopes/store.js';
import { ownedAccount } from './ownership.js';
import * as store from './store.js';

export const ENVELOPE_PAGE_MAX = 100;
/** Grabs listed in one envelope view (in grab order); the customer's own grab is always in `my_grab`. */
export const GRABS_SHOWN_MAX = 200;
const me = { customer: true } as const;
const tags = ['customer app'];

const Uuid = Type.String({ format: 'uuid' });
const Minor = Type.String({ pattern: '^[0-9]+$', description: 'Integer minor units as a decimal string' });
const Timestamp = Type.String({ format: 'date-time' });
const LinkToken = Type.String({ minLength: 1, maxLength: 64, description: 'The `token` of the share link' });
const errors = { 400: Problem, 401: Problem, 403: Problem, 404: Problem, 409: Problem, 422: Problem, 503: Problem };

const SendBody = Type.Object(
  {
    id: { ...Uuid, description: 'Chosen by the app; sending the same id and fields again returns the envelope (200)' },
    from_account_id: Uuid,
    mode: Type.Union([Type.Literal('random'), Type.Literal('equal')], { description: 'random: lucky draw; equal: the same share for everyone' }),
    total_amount_minor: Type.String({ pattern: '^[1-9][0-9]{0,18}$', description: 'Integer minor units, > 0' }),
    share_count: Type.Integer({ description: `1..${SHARES_MAX}` }),
    greeting: Type.Optional(Type.String({ maxLength: GREETING_CHARS_MAX * 4, description: `At most ${GREETING_CHARS_MAX} characters` })),
    expires_in_seconds: Type.Optional(Type.Integer({ description: `${EXPIRY_SECONDS_MIN}..${EXPIRY_SECONDS_MAX}, default ${EXPIRY_SECONDS_DEFAULT}` })),
  },
  { additionalProperties: false },
);

const summaryProps = {
  id: Type.String(),
  mode: Type.String({ description: 'random | equal' }),
  currency: Type.String(),
  total_amount_minor: Minor,
  remaining_amount_minor: Minor,
  claimed_amount_minor: Minor,
  refunded_amount_minor: Minor,
  share_count: Type.Integer(),
  claimed_count: Type.Integer(),
  greeting: Type.String(),
  status: Type.String({ description: 'open | empty (every share grabbed) | expired (past expiry; the remainder goes back to the sender)' }),
  expires_at: Timestamp,
  created_at: Timestamp,
  finished_at: Type.Union([Timestamp, Type.Null()]),
};
const EnvelopeSummary = Type.Object({
  ...summaryProps,
  share_link: Type.String({ description: 'App path of the share link: /app/envelopes/<id>?token=<link token>' }),
});

const GrabLine = Type.Object({
  position: Type.Integer({ description: '1 for the first grab, …' }),
  name: Type.String({ description: "The grabber's display name" }),
  amount_minor: Minor,
  grabbed_at: Timestamp,
  luckiest: Type.Boolean({ description: 'The largest share, once the envelope is finished' }),
  mine: Type.Boolean(),
});
const MyGrab = Type.Object({ amount_minor: Minor, position: Type.Integer(), account_id: Type.String(), grabbed_at: Timestamp });

const EnvelopeDetail = Type.Object({
  ...summaryProps,
  sender_name: Type.String(),
  sent_by_me: Type.Boolean(),
  share_link: Type.Optional(Type.String({ description: 'Only for the sender' })),
  my_grab: Type.Union([MyGrab, Type.Null()], { description: 'What I got from this envelope, if I grabbed it' }),
  grabs: Type.Array(GrabLine, { description: `Who got what, in grab order (the first ${GRABS_SHOWN_MAX})` }),
  grabs_truncated: Type.Boolean(),
});

const GrabBody = Type.Object(
  {
    link_token: LinkToken,
    account_id: Type.Optional({ ...Uuid, description: 'One of my accounts in the envelope currency; default my oldest open one' }),
  },
  { additionalProperties: false },
);
const GrabResult = Type.Object({
  envelope_id: Type.String(),
  amount_minor: Minor,
  currency: Type.String(),
  account_id: Type.String(),
  position: Type.Integer(),
  grabbed_at: Timestamp,
  replayed: Type.Boolean({ description: 'true when this answers an earlier grab again (nothing new moved)' }),
});

const Params = Type.Object({ id: Uuid });
const LIST_CURSOR = /^([0-9]{1,15})\|([0-9a-f-]{36})$/;

export const shareLink = (e: Pick<Envelope, 'id' | 'link_token'>): string => `/app/envelopes/${e.id}?token=${encodeURIComponent(e.link_token)}`;

function sameToken(given: string | undefined, expected: string): boolean {
  const a = Buffer.from(given ?? '');
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** `open` rows past their expiry read as expired before the refund sweep gets to them. */
function statusOf(e: Envelope, now: Date): string {
  return e.status === 'open' && now.getTime() >= e.expires_at.getTime() ? 'expired' : e.status;
}

function summary(e: Envelope, now: Date) {
  return {
    id: e.id,
    mode: e.mode,
    currency: e.currency,
    total_amount_minor: e.total_amount.toString(),
    remaining_amount_minor: e.remaining_amount.toString(),
    claimed_amount_minor: e.claimed_amount.toString(),
    refunded_amount_minor: e.refunded_amount.toString(),
    share_count: e.share_count,
    claimed_count: e.claimed_count,
    greeting: e.greeting,
    status: statusOf(e, now),
    expires_at: e.expires_at.toISOString(),
    created_at: e.created_at.toISOString(),
    finished_at: e.finished_at?.toISOString() ?? null,
  };
}

/** The ledger's refusals of the funding transfer, in the app's words. */
function sendRefusal(code: string, field: string | undefined): ProblemError {
  if (code === 'exceeds_credits') return new ProblemError('insufficient_funds', 'the account does not have enough available money for this envelope; nothing was moved', { field: 'total_amount_minor' });
  if (code === 'exists_with_different_fields') return new ProblemError(code, 'this envelope id was used for a different envelope', { field: 'id' });
  const renamed = field === 'funding_account_id' ? 'from_account_id' : field === 'total_amount' ? 'total_amount_minor' : field;
  return new ProblemError(code, undefined, renamed ? { field: renamed } : {});
}

export function registerEnvelopeAppRoutes(root: FastifyInstance, ledger: Ledger, envelopes: Envelopes): void {
  const app = root.withTypeProvider<TypeBoxTypeProvider>();
  const db = ledger.db;

  /** The envelope if this customer may see it (the sender, or with the link token); 404 otherwise, so ids cannot be probed. */
  async function visible(id: string, customer_id: string, token: string | undefined): Promise<Envelope> {
    const envelope = await envelopes.get(id.toLowerCase());
    const allowed = envelope && (envelope.sender_customer_id === customer_id || sameToken(token, envelope.link_token));
    // App customers hold live money: an envelope funded in the open-banking sandbox is not theirs to see.
    if (!allowed || (await accountMode(db, envelope.funding_account_id)) !== 'live') throw new ProblemError('envelope_not_found', `no envelope ${id} for this link`);
    return envelope;
  }

  async function detail(e: Envelope, customer_id: string) {
    const now = ledger.clock.now();
    const grabs = await envelopes.listGrabs(e.id, 0, GRABS_SHOWN_MAX + 1);
    const shown = grabs.slice(0, GRABS_SHOWN_MAX);
    const mine: Grab | undefined = grabs.find((g) => g.customer_id === customer_id) ?? (grabs.length > GRABS_SHOWN_MAX ? [...(await grabsOf(db, [{ envelope_id: e.id, customer_id }])).values()][0] : undefined);
    const names = await store.ownerNames(db, [...new Set(shown.map((g) => g.account_id))]);
    const sender = await findCustomer(db, e.sender_customer_id);
    const sentByMe = e.sender_customer_id === customer_id;
    return {
      ...summary(e, now),
      sender_name: sender?.display_name ?? '',
      sent_by_me: sentByMe,
      ...(sentByMe ? { share_link: shareLink(e) } : {}),
      my_grab: mine ? { amount_minor: mine.amount.toString(), position: mine.position, account_id: mine.account_id, grabbed_at: mine.grabbed_at.toISOString() } : null,
      grabs: shown.map((g) => ({
        position: g.position,
        name: names.get(g.account_id) ?? '',
        amount_minor: g.amount.toString(),
        grabbed_at: g.grabbed_at.toISOString(),
        luckiest: e.luckiest_position === g.position,
        mine: g.customer_id === customer_id,
      })),
      grabs_truncated: grabs.length > GRABS_SHOWN_MAX,
    };
  }

  app.post(
    '/v1/me/envelopes',
    {
      config: me,
      schema: {
        tags,
        summary: 'Send a red envelope from one of my accounts (lucky or equal shares); answers its share link',
        description: 'Moves the total into the envelope at once. The same id and fields again returns the envelope (200); other fields, exists_with_different_fields.',
        body: SendBody,
        response: { 200: EnvelopeSummary, 201: EnvelopeSummary, ...errors },
      },
    },
    async (req, reply) => {
      const b = req.body;
      const from = await ownedAccount(ledger, req.customer!.id, b.from_account_id, 'from_account_id');
      const result = await envelopes.create({
        id: b.id.toLowerCase(),
        sender_customer_id: req.customer!.id,
        funding_account_id: from.id,
        total_amount: BigInt(b.total_amount_minor),
        share_count: b.share_count,
        mode: b.mode,
        greeting: b.greeting?.trim() ?? '',
        expires_in_seconds: b.expires_in_seconds ?? EXPIRY_SECONDS_DEFAULT,
        audience: { kind: 'link' },
      });
      if (!result.ok) {
        if ('detail' in result && result.detail && result.code !== 'exists_with_different_fields') {
          const field = result.field === 'total_amount' ? 'total_amount_minor' : result.field === 'funding_account_id' ? 'from_account_id' : result.field;
          throw new ProblemError(result.code, result.detail, field ? { field } : {});
        }
        throw sendRefusal(result.code, result.field);
      }
      if (!result.replayed) req.log.info({ envelope_id: result.envelope.id, shares: result.envelope.share_count }, 'app envelope sent');
      return reply.status(result.replayed ? 200 : 201).send({ ...summary(result.envelope, ledger.clock.now()), share_link: shareLink(result.envelope) });
    },
  );

  app.get(
    '/v1/me/envelopes',
    {
      config: me,
      schema: {
        tags,
        summary: 'Envelopes I sent, newest first',
        querystring: Type.Object({ limit: PageLimit(ENVELOPE_PAGE_MAX), cursor: PageCursor }, { additionalProperties: false }),
        response: { 200: Type.Object({ items: Type.Array(EnvelopeSummary), next_cursor: Type.Union([Type.String(), Type.Null()]) }), ...errors },
      },
    },
    async (req) => {
      const limit = req.query.limit ?? 20;
      const after = decodeCursor(req.query.cursor, LIST_CURSOR);
      const rows = await envelopes.listSent(req.customer!.id, after ? { at: new Date(Number(after[0])), id: after[1]! } : undefined, limit + 1);
      const page = rows.slice(0, limit);
      const last = page[page.length - 1];
      const now = ledger.clock.now();
      return {
        items: page.map((e) => ({ ...summary(e, now), share_link: shareLink(e) })),
        next_cursor: rows.length > limit && last ? encodeCursor(String(last.created_at.getTime()), last.id) : null,
      };
    },
  );

  app.get(
    '/v1/me/envelopes/:id',
    {
      config: me,
      schema: {
        tags,
        summary: 'An envelope by its link: amount left, claimed n of m, greeting, sender, expiry and who got what',
        description: 'For the sender, or with the link token (`token`); anyone else gets envelope_not_found.',
        params: Params,
        querystring: Type.Object({ token: Type.Optional(LinkToken) }, { additionalProperties: false }),
        response: { 200: EnvelopeDetail, ...errors },
      },
    },
    async (req) => detail(await visible(req.params.id, req.customer!.id, req.query.token), req.customer!.id),
  );

  app.post(
    '/v1/me/envelopes/:id/grabs',
    {
      config: me,
      schema: {
        tags,
        summary: 'Grab a share into one of my accounts',
        description:
          'A new grab is 201 with the amount. Grabbing again into the same account answers the first result (200, replayed); ' +
          'into another account, already_grabbed. Too late: envelope_empty or envelope_expired.',
        params: Params,
        body: GrabBody,
        response: { 200: GrabResult, 201: GrabResult, ...errors },
      },
    },
    async (req, reply) => {
      const customer_id = req.customer!.id;
      const envelope = await visible(req.params.id, customer_id, req.body.link_token);
      let account_id: string;
      if (req.body.account_id !== undefined) {
        const account = await ownedAccount(ledger, customer_id, req.body.account_id, 'account_id');
        if (account.currency !== envelope.currency) throw new ProblemError('currency_mismatch', `the envelope is in ${envelope.currency}; the account holds ${account.currency}`, { field: 'account_id' });
        account_id = account.id;
      } else {
        const primary = await store.primaryAccountOf(db, customer_id, envelope.currency);
        if (!primary) throw new ProblemError('account_not_found', `you have no open account in ${envelope.currency} to receive this envelope`, { field: 'account_id' });
        account_id = primary;
      }
      const outcome = await envelopes.grab(envelope.id, { customer_id, account_id, link_token: req.body.link_token });
      if (!outcome.ok) {
        const earlier = 'grab' in outcome ? outcome.grab : undefined;
        if (earlier) throw new ProblemError(outcome.code, `you already grabbed ${earlier.amount} (minor units) from this envelope into account ${earlier.account_id}`);
        throw new ProblemError(outcome.code, outcome.code === 'envelope_empty' ? 'every share has been grabbed' : outcome.code === 'envelope_expired' ? 'the envelope has expired' : undefined);
      }
      const g = outcome.grab;
      return reply.status(outcome.replayed ? 200 : 201).send({
        envelope_id: g.envelope_id,
        amount_minor: g.amount.toString(),
        currency: envelope.currency,
        account_id: g.account_id,
        position: g.position,
        grabbed_at: g.grabbed_at.toISOString(),
        replayed: outcome.replayed,
      });
    },
  );
}
