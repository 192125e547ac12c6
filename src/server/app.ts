/**
 * App assembly: Fastify with TypeBox schemas, strict validation, problem+json errors,
 * API-key authentication on every route not marked public, metrics and OpenAPI docs.
 */
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest, type FastifyError } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { randomUUID } from 'node:crypto';
import type { Db } from '../db/port.js';
import { Ledger } from '../ledger/service.js';
import { registerLedgerRoutes } from '../ledger/http.js';
import { registerKeyRoutes } from '../auth/http.js';
import { Envelopes } from '../envelopes/service.js';
import { registerEnvelopeRoutes } from '../envelopes/http.js';
import type { LaneOptions } from '../envelopes/lanes.js';
import type { RandomSource } from '../envelopes/core.js';
import { Risk } from '../risk/service.js';
import { registerRiskRoutes } from '../risk/http.js';
import { registerRiskAnalysisRoutes } from '../risk/http-analysis.js';
import { registerRiskFeatureRoutes } from '../risk/http-features.js';
import { Lending } from '../lending/service.js';
import { registerLendingRoutes } from '../lending/http.js';
import { registerCobRoutes } from '../lending/http-cob.js';
import { Authenticator } from '../auth/authenticator.js';
import { grants, type ApiKey, type Scope } from '../auth/core.js';
import type { Clock } from './clock.js';
import { createMetrics } from './metrics.js';
import { ERROR_CATALOG, ProblemError, problemBody, type FieldError } from './problem.js';
import { describeAjvErrors, lenientAjv, strictAjv } from './validate.js';
import type { ErrorObject } from 'ajv';
import { OverloadedError, WriterStoppedError, type WriterOptions } from '../ledger/writer.js';
import { OAUTH2_SECURITY_SCHEME, registerOAuthRoutes, type OAuthServer } from '../openbanking/oauth-http.js';
import { registerOpenBankingRegistry } from '../openbanking/registry-http.js';
import type { Payments } from '../openbanking/payments-service.js';
import { IdempotencyStore } from './idempotency-store.js';
import { registerIdempotency } from './idempotency-hook.js';
import { declareIdempotencyKey, declareSharedHeaders } from './openapi-headers.js';
import { registerRateLimits, type RateLimitOptions } from './rate-limit-hook.js';
import type { RateLimitStore } from './rate-limit-memory.js';
import { Events, type EventsOptions } from '../events/workers.js';
import { registerEventRoutes } from '../events/http.js';
import { paymentEventsFromLedger } from '../openbanking/payment-events.js';
import { Identity } from '../identity/service.js';
import { registerIdentityRoutes } from '../identity/http.js';
import { registerCustomerApi } from '../customer-api/http.js';
import { identityFrom, type IdentityConfig } from './config.js';
import { registerStaffRoutes } from '../staff/http.js';
import { registerStaffAdminRoutes } from '../staff/admin-http.js';
import { registerAuditHook } from '../staff/audit-hook.js';
import { registerDataOpsRoutes } from '../dataops/http.js';
import { registerWebStatic } from './web-static.js';
import { registerMiniProgramStatic } from './mini-program-static.js';

export const BODY_BYTES_MAX = 1 << 20; // 1 MiB for ordinary routes; batch routes set their own

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Route needs no API key (health, docs). */
    public?: boolean;
    /** Scope the API key must hold. */
    scope?: Scope;
    /** A POST that refuses to run without an Idempotency-Key (400 idempotency_key_required); the OpenAPI document marks the header required. */
    idempotency_key?: 'required';
  }
  interface FastifyRequest {
    apiKey?: ApiKey;
  }
}

export interface AppOptions {
  db: Db;
  clock: Clock;
  log_level?: string;
  writer?: WriterOptions;
  /** How long a verified API key is trusted without reading the database again. */
  key_cache_ttl_ms?: number;
  /** Red envelopes: the grab lanes' limits, and a replacement random source for tests. */
  envelopes?: { lanes?: LaneOptions; random?: RandomSource };
  /** The OAuth issuer URL (config PUBLIC_URL); absent: http://<listening address>:<port>. */
  public_url?: string;
  /** Rate-limit settings (defaults in rate-limit.ts), REDIS_URL, or a store made by the caller. */
  rate_limits?: RateLimitOptions;
  /** Events: relay, webhook sender (timeouts, private networks, retry schedule) and purge settings. */
  events?: EventsOptions;
  /** Customer identity (OTP delivery, WebAuthn origins; docs/app-api.md); absent: the defaults (dev-inbox codes, local origins). */
  identity?: IdentityConfig;
  /** Data operations: the daily running cost (config DAILY_RUNNING_COST_MINOR) the cost per transaction divides. */
  daily_running_cost_minor?: bigint;
}

export type App = FastifyInstance & {
  ledger: Ledger;
  envelopes: Envelopes;
  risk: Risk;
  lending: Lending;
  authenticator: Authenticator;
  /** The OAuth 2.0 authorization server (open banking). */
  oauth: OAuthServer;
  idempotency: IdempotencyStore;
  rateLimits: RateLimitStore;
  /** Open-banking payments (initiate, settle, the settling sweep). */
  obPayments: Payments;
  /** The outbox relays, the webhook sender and the purge (started by `serve`, stepped by tests). */
  events: Events;
};

const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

const validatorCompiler = ({ schema, httpPart }: { schema: object; httpPart?: string }) =>
  (httpPart === 'body' ? strictAjv : lenientAjv).compile(schema);

export async function buildApp(options: AppOptions): Promise<App> {
  const metrics = createMetrics();
  const app = Fastify({
    logger: {
      level: options.log_level ?? 'info',
      redact: ['req.headers.authorization', 'req.headers.cookie'],
    },
    bodyLimit: BODY_BYTES_MAX,
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    ajv: { customOptions: { coerceTypes: false } },
  }).withTypeProvider<TypeBoxTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  // Only JSON bodies: Fastify's default text/plain parser would turn a mislabelled body into a confusing 400.
  app.removeContentTypeParser('text/plain');

  const ledger = new Ledger(options.db, options.clock, { ...options.writer, observer: metrics.writerObserver });
  const envelopes = new Envelopes(options.db, ledger, options.clock, options.envelopes?.random, options.envelopes?.lanes, metrics.envelopeObserver);
  const risk = new Risk(options.db, options.clock, ledger);
  ledger.setGate(risk.gate);
  const lending = new Lending(options.db, ledger, risk, options.clock);
  const authenticator = new Authenticator(options.db, options.clock, options.key_cache_ttl_ms);

  app.addHook('onRequest', async (req, reply) => {
    reply.header('x-request-id', req.id);
    const config = req.routeOptions.config;
    // Open-banking routes (config.partner) take OAuth access tokens: the token guard (oauth-guard.ts) checks them.
    // Customer-app routes (config.customer) take customer sessions: src/identity/sessions.ts checks them.
    if (!req.routeOptions.url || config.public || config.partner || config.customer) return;
    const key = await authenticator.authenticate(req.headers.authorization);
    if (!key) {
      reply.header('www-authenticate', 'Bearer realm="capillary"');
      throw new ProblemError('unauthorized', 'send Authorization: Bearer <API key>');
    }
    req.apiKey = key;
    if (config.scope && !grants(key.scopes, config.scope)) {
      throw new ProblemError('insufficient_scope', `this route needs the ${config.scope} scope`);
    }
  });

  app.addHook('onResponse', async (req, reply) => {
    metrics.httpDuration
      .labels(req.method, req.routeOptions.url ?? 'unmatched', String(reply.statusCode))
      .observe(reply.elapsedTime / 1000);
  });

  // After authentication: rate limits (preParsing) and Idempotency-Key (preHandler, onSend).
  const rateLimits = registerRateLimits(app, options.clock, options.rate_limits);
  const idempotency = new IdempotencyStore(options.db);
  registerIdempotency(app, idempotency, options.clock);
  // Staff writes, and API-key writes off the machine money path, go to the audit log (src/staff/audit-hook.ts).
  registerAuditHook(app, options.db, options.clock);

  app.setErrorHandler((error: FastifyError, req: FastifyRequest, reply: FastifyReply) => {
    const send = (code: string, detail: string, extras: { field?: string; errors?: FieldError[] } = {}) =>
      reply
        .status(ERROR_CATALOG[code]?.status ?? 500)
        .type('application/problem+json')
        .send(problemBody(code, detail, { ...extras, instance: req.url, request_id: String(req.id) }));

    if (error instanceof ProblemError) {
      if (error.extras.retry_after_s) reply.header('retry-after', String(error.extras.retry_after_s));
      return send(error.code, error.message, { field: error.extras.field, errors: error.extras.errors });
    }
    if (error instanceof OverloadedError) {
      reply.header('retry-after', '1');
      return send('overloaded', error.message);
    }
    if (error instanceof WriterStoppedError) return send('unavailable', error.message);
    if (error.validation) {
      const errors = describeAjvErrors(error.validation as ErrorObject[], error.validationContext ?? 'body');
      return send('invalid_request', errors.map((e) => `${e.field}: ${e.message}`).join('; '), { errors });
    }
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return send('body_too_large', error.message);
    if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return send('unsupported_media_type', error.message);
    if (error.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' || error.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || error instanceof SyntaxError) {
      return send('malformed_json', 'the body is not valid JSON');
    }
    if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) return send('invalid_request', error.message);
    req.log.error({ err: error }, 'unhandled error');
    return send('internal_error', 'an internal error occurred; the request id identifies it in the logs');
  });

  app.setNotFoundHandler((req, reply) =>
    reply
      .status(404)
      .type('application/problem+json')
      .send(problemBody('not_found', `no route ${req.method} ${req.url.split('?')[0]}`, { request_id: String(req.id) })),
  );

  // swagger-ui registers its routes without our config; mark them public.
  app.addHook('onRoute', (route) => {
    if (route.url.startsWith('/docs')) route.config = { ...(route.config as object), public: true };
  });
  await app.register(swagger, {
    transform: declareIdempotencyKey as never,
    transformObject: declareSharedHeaders as never,
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Capillary API',
        version: '1.0.0',
        description:
          'Double-entry core ledger and banking capabilities. Money is integer minor units sent as decimal strings. ' +
          'Errors are RFC 9457 problem+json with a stable `code`; the full list is at GET /errors.',
      },
      components: {
        securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'API key: cap_<prefix>_<secret>' }, oauth2: OAUTH2_SECURITY_SCHEME },
      },
      security: [{ apiKey: [] }],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs', uiConfig: { docExpansion: 'list' } });

  const open = { config: { public: true }, schema: { hide: true } };
  app.get('/health', open, async () => ({ status: 'ok' }));
  app.get('/ready', open, async (_req, reply) => {
    try {
      await options.db.query('SELECT 1');
      // Not ready for traffic while the risk engine rebuilds its features from stored events.
      if (!risk.engine.ready) {
        void risk.engine.start().catch(() => {}); // retries a start that failed (logged when it first failed)
        return reply
          .status(503)
          .type('application/problem+json')
          .send(problemBody('unavailable', `the risk engine is rebuilding its features (${risk.engine.rebuilt_events} stored events so far)`));
      }
      return { status: 'ready', database: options.db.engine };
    } catch {
      return reply.status(503).type('application/problem+json').send(problemBody('unavailable', 'the database does not answer'));
    }
  });
  app.get('/errors', open, async () =>
    Object.entries(ERROR_CATALOG).map(([code, entry]) => ({ code, status: entry.status, title: entry.title })),
  );
  app.get('/metrics', { config: { scope: 'metrics:read' }, schema: { hide: true } }, async (_req, reply) => {
    metrics.queueDepth.set(ledger.writer.queueDepth);
    metrics.envelopeLanes.set(envelopes.lanes.size);
    reply.type(metrics.registry.contentType);
    return metrics.registry.metrics();
  });

  registerLedgerRoutes(app, ledger);
  registerEnvelopeRoutes(app, envelopes);
  registerRiskRoutes(app, risk);
  registerRiskAnalysisRoutes(app, risk);
  registerRiskFeatureRoutes(app, risk);
  registerLendingRoutes(app, lending);
  registerCobRoutes(app, options.db, ledger, options.clock);
  registerKeyRoutes(app, options.db, options.clock, authenticator);
  const events = new Events(options.db, options.clock, { ...options.events, observer: metrics.relayObserver, derivers: [paymentEventsFromLedger] }, app.log);
  metrics.watchRelays(() => events.relayLag());
  registerEventRoutes(app, options.db, events);
  const oauth = registerOAuthRoutes(app, { db: options.db, clock: options.clock, public_url: options.public_url, app_cache_ttl_ms: options.key_cache_ttl_ms, rate_limits: rateLimits });
  const { payments: obPayments } = registerOpenBankingRegistry(app, { db: options.db, clock: options.clock, ledger, envelopes, lending, risk });
  // The customer app's API: passkeys, one-time codes, sessions (src/identity/) and /v1/me… (src/customer-api/).
  const identity = new Identity(app, { db: options.db, clock: options.clock, ledger, risk, config: options.identity ?? identityFrom({}), public_url: options.public_url });
  registerIdentityRoutes(app, identity);
  registerCustomerApi(app, ledger, { lending, envelopes });
  registerStaffRoutes(app, options.db, options.clock, authenticator);
  registerStaffAdminRoutes(app, options.db, options.clock, authenticator);
  registerDataOpsRoutes(app, options.db, options.clock, { daily_running_cost_minor: options.daily_running_cost_minor ?? 0n });
  // The customer app (/app/) and the operator console (/console/) from dist/web (web-static.ts).
  await registerWebStatic(app);
  registerMiniProgramStatic(app, options.db); // partners' mini-programs at /mini-programs/<slug>/ (sandboxed; docs/mini-programs.md)

  // Seed the default rule set and rebuild features in the background: the server answers
  // /health and /ready meanwhile, and decisions wait for it (and retry it if it failed).
  let closing = false;
  void risk.engine.start().catch((err: unknown) => {
    if (!closing) app.log.error({ err }, 'risk engine start failed; retried on the next decision (and /ready says 503 until it succeeds)');
  });

  // The credit model is trained and stored on the first start of a database (~0.1 s); applications wait for it.
  void lending.start().catch((err: unknown) => {
    if (!closing) app.log.error({ err }, 'lending start failed (the credit model); retried on the next application');
  });

  app.addHook('onClose', async () => {
    closing = true;
    await events.stop();
    await risk.stop();
    await ledger.stop();
  });

  return Object.assign(app, { ledger, envelopes, risk, lending, authenticator, oauth, idempotency, rateLimits, events, obPayments }) as unknown as App;
}
