/** Settings from the environment, each documented in the README. */
export interface Config {
  port: number;
  host: string;
  database_url: string | undefined;
  data_dir: string;
  log_level: string;
  expiry_sweep_interval_ms: number;
  db_pool_size_max: number;
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

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const databaseUrl = env.DATABASE_URL || undefined;
  if (databaseUrl && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new Error('DATABASE_URL must start with postgres:// or postgresql://');
  }
  const logLevel = env.LOG_LEVEL || 'info';
  if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(logLevel)) {
    throw new Error(`LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent; got "${logLevel}"`);
  }
  return {
    port: intFrom(env, 'PORT', 8080, 0, 65535),
    host: env.HOST || '127.0.0.1',
    database_url: databaseUrl,
    data_dir: env.DATA_DIR || './data',
    log_level: logLevel,
    expiry_sweep_interval_ms: intFrom(env, 'EXPIRY_SWEEP_INTERVAL_MS', 1000, 10, 3_600_000),
    db_pool_size_max: intFrom(env, 'DB_POOL_SIZE', 20, 1, 500),
  };
}
