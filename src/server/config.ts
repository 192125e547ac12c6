import { RATE_LIMIT_DEFAULTS, type BucketLimit, type RateLimitSettings } from './rate-limit.js';

/** Settings from the environment, each documented in the README. */
export interface Config {
  port: number;
  host: string;
  database_url: string | undefined;
  data_dir: string;
  log_level: string;
  expiry_sweep_interval_ms: number;
  db_pool_size_max: number;
  /** Rate-limit buckets live in Redis (shared by every node) when set; in process otherwise. */
  redis_url: string | undefined;
  rate_limits: RateLimitSettings;
  /** The server's public base URL: the OAuth issuer, and the origin DPoP proofs name. Undefined only with PORT=0 (then the listening address). */
  public_url: string | undefined;
  /** Events: NATS JetStream, worker intervals, webhook sending and retention (docs/open-banking.md). */
  events: EventsConfig;
  /** Customer identity: OTP delivery and WebAuthn relying party (docs/app-api.md). */
  identity: IdentityConfig;
  /** DAILY_RUNNING_COST_MINOR: the platform's running cost per day in minor units of the report currency (dashboards' cost per transaction); 0 = not configured. */
  daily_running_cost_minor: bigint;
}

export interface IdentityConfig {
  /** OTP_DELIVERY: `dev-inbox` (codes readable by an admin key; local demos, the default) or `webhook` (POSTed to an SMS gateway). */
  otp_delivery: 'dev-inbox' | 'webhook';
  /** OTP_WEBHOOK_URL: where `webhook` delivery POSTs {phone, code, purpose, expires_at}. */
  otp_webhook_url: string | undefined;
  /** WEBAUTHN_RP_NAME: the name authenticators show. */
  webauthn_rp_name: string;
  /** WEBAUTHN_ORIGINS: extra origins passkeys may be used from (comma-separated); PUBLIC_URL's origin always is. */
  webauthn_origins: string[];
}

function originFrom(raw: string, name: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Error(`${name} must list absolute http(s) origins, got "${raw}"`);
  }
  if (!['http:', 'https:'].includes(url.protocol) || url.pathname !== '/' || url.search || url.hash || url.username) {
    throw new Error(`${name} must list http(s) origins without path, query or credentials, got "${raw}"`);
  }
  return url.origin;
}

export function identityFrom(env: NodeJS.ProcessEnv): IdentityConfig {
  const delivery = env.OTP_DELIVERY || 'dev-inbox';
  if (delivery !== 'dev-inbox' && delivery !== 'webhook') throw new Error(`OTP_DELIVERY must be dev-inbox or webhook, got "${delivery}"`);
  const webhook = env.OTP_WEBHOOK_URL || undefined;
  if (webhook && !/^https?:\/\/[^\s]+$/.test(webhook)) throw new Error('OTP_WEBHOOK_URL must be an http(s) URL');
  if (delivery === 'webhook' && !webhook) throw new Error('OTP_DELIVERY=webhook needs OTP_WEBHOOK_URL');
  const origins = (env.WEBAUTHN_ORIGINS || '').split(',').map((o) => o.trim()).filter((o) => o.length > 0);
  return {
    otp_delivery: delivery,
    otp_webhook_url: webhook,
    webauthn_rp_name: (env.WEBAUTHN_RP_NAME || 'Capillary').slice(0, 64),
    webauthn_origins: origins.map((o) => originFrom(o, 'WEBAUTHN_ORIGINS')),
  };
}

export interface EventsConfig {
  /** NATS_URL: publish every outbox event to JetStream when set (comma-separated servers). */
  nats_url: string | undefined;
  /** Stream names `<prefix>_<DOMAIN>` and subjects `<prefix>.<topic>`: several environments can share one NATS. */
  nats_stream_prefix: string;
  nats_subject_prefix: string;
  relay_interval_ms: number;
  send_interval_ms: number;
  purge_interval_ms: number;
  webhook_timeout_ms: number;
  /** Let webhooks reach loopback/private/link-local addresses (off: refused, against SSRF). */
  webhook_allow_private_networks: boolean;
  outbox_gap_wait_ms: number;
  webhook_log_retention_days: number;
  /** 0: outbox rows are kept forever. */
  outbox_retention_days: number;
}

function boolFrom(env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (['true', '1', 'yes'].includes(raw.toLowerCase())) return true;
  if (['false', '0', 'no'].includes(raw.toLowerCase())) return false;
  throw new Error(`${name} must be true or false, got "${raw}"`);
}

function eventsFrom(env: NodeJS.ProcessEnv): EventsConfig {
  const natsUrl = env.NATS_URL || undefined;
  if (natsUrl && !natsUrl.split(',').every((u) => /^(nats|tls|wss?):\/\/[^\s]+$/.test(u.trim()))) {
    throw new Error('NATS_URL must be nats://host:port (or tls://, ws://, wss://), comma-separated for several servers');
  }
  const streamPrefix = env.NATS_STREAM_PREFIX || 'CAPILLARY';
  if (!/^[A-Z][A-Z0-9_]{0,31}$/.test(streamPrefix)) throw new Error(`NATS_STREAM_PREFIX must be upper-case letters, digits and _ (at most 32), got "${streamPrefix}"`);
  const subjectPrefix = env.NATS_SUBJECT_PREFIX || 'capillary';
  if (!/^[a-z][a-z0-9_]{0,31}$/.test(subjectPrefix)) throw new Error(`NATS_SUBJECT_PREFIX must be lower-case letters, digits and _ (at most 32), got "${subjectPrefix}"`);
  return {
    nats_url: natsUrl,
    nats_stream_prefix: streamPrefix,
    nats_subject_prefix: subjectPrefix,
    relay_interval_ms: intFrom(env, 'EVENTS_RELAY_INTERVAL_MS', 250, 10, 3_600_000),
    send_interval_ms: intFrom(env, 'WEBHOOK_SEND_INTERVAL_MS', 1000, 10, 3_600_000),
    purge_interval_ms: intFrom(env, 'EVENTS_PURGE_INTERVAL_MS', 3_600_000, 1000, 86_400_000),
    webhook_timeout_ms: intFrom(env, 'WEBHOOK_TIMEOUT_MS', 10_000, 100, 30_000),
    webhook_allow_private_networks: boolFrom(env, 'WEBHOOK_ALLOW_PRIVATE_NETWORKS', false),
    outbox_gap_wait_ms: intFrom(env, 'OUTBOX_GAP_WAIT_MS', 2000, 0, 600_000),
    webhook_log_retention_days: intFrom(env, 'WEBHOOK_LOG_RETENTION_DAYS', 30, 1, 3650),
    outbox_retention_days: intFrom(env, 'OUTBOX_RETENTION_DAYS', 7, 0, 3650),
  };
}

function intFrom(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${name} must be an integer from ${min} to ${max}, got "${raw}"`);
  }
  return value;
}

/**
 * RATE_LIMIT_<NAME>_PER_S (0 = no limit) and RATE_LIMIT_<NAME>_BURST (default: twice the
 * rate when the rate is set, else the built-in default's burst).
 */
function bucketFrom(env: NodeJS.ProcessEnv, name: string, fallback: BucketLimit | null): BucketLimit | null {
  const perName = `RATE_LIMIT_${name}_PER_S`;
  const burstName = `RATE_LIMIT_${name}_BURST`;
  const rateGiven = env[perName] !== undefined && env[perName] !== '';
  const refill_per_s = intFrom(env, perName, fallback?.refill_per_s ?? 0, 0, 1_000_000_000);
  if (refill_per_s === 0) return null;
  const capacity = intFrom(env, burstName, rateGiven || !fallback ? refill_per_s * 2 : fallback.capacity, 1, 1_000_000_000);
  return { capacity, refill_per_s };
}

/** PUBLIC_URL: an http(s) origin (the routes live at its root); a trailing slash is dropped. */
function publicUrlFrom(env: NodeJS.ProcessEnv, port: number): string | undefined {
  const raw = env.PUBLIC_URL;
  if (raw === undefined || raw === '') return port === 0 ? undefined : `http://localhost:${port}`;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Error(`PUBLIC_URL must be an absolute http(s) URL, got "${raw}"`);
  }
  if (!['http:', 'https:'].includes(url.protocol) || url.pathname !== '/' || url.search || url.hash || url.username || url.password) {
    throw new Error(`PUBLIC_URL must be an http(s) origin (scheme, host, optional port) without path, query, fragment or credentials, got "${raw}"`);
  }
  return url.origin;
}

/** A bigint, never a float: the cost feeds money arithmetic. */
function costFrom(env: NodeJS.ProcessEnv): bigint {
  const raw = env.DAILY_RUNNING_COST_MINOR;
  if (raw === undefined || raw === '') return 0n;
  if (!/^[0-9]{1,18}$/.test(raw)) throw new Error(`DAILY_RUNNING_COST_MINOR must be a whole number of minor units (0 to 18 digits), got "${raw}"`);
  return BigInt(raw);
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const databaseUrl = env.DATABASE_URL || undefined;
  if (databaseUrl && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new Error('DATABASE_URL must start with postgres:// or postgresql://');
  }
  const redisUrl = env.REDIS_URL || undefined;
  if (redisUrl && !/^rediss?:\/\//.test(redisUrl)) throw new Error('REDIS_URL must start with redis:// or rediss://');
  const logLevel = env.LOG_LEVEL || 'info';
  if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(logLevel)) {
    throw new Error(`LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent; got "${logLevel}"`);
  }
  const port = intFrom(env, 'PORT', 8080, 0, 65535);
  return {
    port,
    host: env.HOST || '127.0.0.1',
    database_url: databaseUrl,
    data_dir: env.DATA_DIR || './data',
    log_level: logLevel,
    expiry_sweep_interval_ms: intFrom(env, 'EXPIRY_SWEEP_INTERVAL_MS', 1000, 10, 3_600_000),
    db_pool_size_max: intFrom(env, 'DB_POOL_SIZE', 20, 1, 500),
    redis_url: redisUrl,
    rate_limits: {
      client: bucketFrom(env, 'CLIENT', RATE_LIMIT_DEFAULTS.client),
      customer: bucketFrom(env, 'CUSTOMER', RATE_LIMIT_DEFAULTS.customer),
      key: bucketFrom(env, 'KEY', RATE_LIMIT_DEFAULTS.key),
    },
    public_url: publicUrlFrom(env, port),
    events: eventsFrom(env),
    identity: identityFrom(env),
    daily_running_cost_minor: costFrom(env),
  };
}
