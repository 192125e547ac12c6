/**
 * The real server and CLI as child processes (`node dist/src/cli/main.js …`), for the
 * restart, multi-process and CLI tests. Every process started here is tracked so
 * `killAll()` (in afterAll) can end the ones a failing test left behind.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { CLI_JS, ROOT, assertBuilt } from './env.js';

const running = new Set<ChildProcess>();

/** A port the OS says is free right now (listen on 0, read it, close). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** The environment for a child: ours without the variables the test sets explicitly. */
function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of ['DATABASE_URL', 'DATA_DIR', 'PORT', 'HOST', 'LOG_LEVEL', 'EXPIRY_SWEEP_INTERVAL_MS', 'DB_POOL_SIZE', 'NODE_OPTIONS']) delete env[name];
  return { ...env, ...extra };
}

export interface ServerProcess {
  child: ChildProcess;
  port: number;
  base: string;
  /** Everything the process wrote so far (for failure messages). */
  output(): string;
  /** Resolves with the exit code (or signal) once the process has ended. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGKILL, and wait for the process to be gone. */
  kill(): Promise<void>;
  /** SIGTERM (graceful), and wait; SIGKILL after `grace_ms`. */
  stop(grace_ms?: number): Promise<void>;
}

export interface ServeOptions {
  /** PGlite: the data folder. */
  data_dir?: string;
  /** PostgreSQL: the database URL. */
  database_url?: string;
  env?: Record<string, string>;
  ready_timeout_ms?: number;
}

/** Starts `capillary serve` on a free port and waits until /ready answers 200. */
export async function spawnServer(options: ServeOptions): Promise<ServerProcess> {
  assertBuilt();
  const port = await freePort();
  const env: Record<string, string> = { PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn', ...options.env };
  if (options.database_url) env.DATABASE_URL = options.database_url;
  if (options.data_dir) env.DATA_DIR = options.data_dir;
  const child = spawn(process.execPath, [CLI_JS, 'serve'], { cwd: ROOT, env: childEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  let output = '';
  const keep = (chunk: Buffer) => {
    output += chunk.toString();
    if (output.length > 200_000) output = output.slice(-100_000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => {
      running.delete(child);
      resolve({ code, signal });
    }),
  );
  let gone = false;
  void exited.then(() => (gone = true));
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + (options.ready_timeout_ms ?? 60_000);
  for (;;) {
    if (gone) throw new Error(`server exited before it was ready:\n${output}`);
    try {
      const res = await fetch(`${base}/ready`, { signal: AbortSignal.timeout(1000) });
      if (res.status === 200) break;
      await res.arrayBuffer();
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`server not ready after ${options.ready_timeout_ms ?? 60_000} ms:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const end = async (signal: NodeJS.Signals, grace_ms: number) => {
    if (gone) return;
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), grace_ms);
    await exited;
    clearTimeout(timer);
  };
  return {
    child,
    port,
    base,
    output: () => output,
    exited,
    kill: () => end('SIGKILL', 0),
    stop: (grace_ms = 10_000) => end('SIGTERM', grace_ms),
  };
}

/** Kills every child process this module started that is still running. */
export async function killAll(): Promise<void> {
  const children = [...running];
  await Promise.all(
    children.map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once('exit', () => resolve());
          child.kill('SIGKILL');
        }),
    ),
  );
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `capillary <args>` to completion (bounded by `timeout_ms`). */
export function runCli(args: string[], env: Record<string, string>, timeout_ms = 60_000): Promise<CliResult> {
  assertBuilt();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI_JS, ...args], { cwd: ROOT, env: childEnv({ LOG_LEVEL: 'warn', ...env }), stdio: ['ignore', 'pipe', 'pipe'] });
    running.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`capillary ${args.join(' ')} did not finish in ${timeout_ms} ms\n${stdout}\n${stderr}`));
    }, timeout_ms);
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(timer);
      running.delete(child);
      resolve({ code, stdout, stderr });
    });
  });
}
