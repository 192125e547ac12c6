/**
 * The real server, started the way an operator starts it: `capillary serve` (the built
 * CLI, dist/src/cli/main.js) in a child process, configured only by its environment
 * (DATABASE_URL for PostgreSQL, DATA_DIR for embedded PGlite), with API keys made by
 * `capillary keys create` against the same database. Nothing of the server runs in the
 * benchmark's process.
 */
import { execFile, fork, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { resolve } from 'node:path';
import { PROJECT_ROOT } from './run-info.js';

const CLI_MAIN = resolve(PROJECT_ROOT, 'dist', 'src', 'cli', 'main.js');
/** Preload for a forked child so it stops when the benchmark goes away (see exit-with-parent.ts). */
export const EXIT_WITH_PARENT = pathToFileURL(fileURLToPath(new URL('./exit-with-parent.js', import.meta.url))).href;
const START_MS_MAX = 120_000;
const STOP_MS_MAX = 30_000;
const READY_LINE = /Capillary is serving on (http:\/\/\S+)/;

/** Where the server keeps its data: a PostgreSQL database, or a PGlite data folder. */
export type ServerStorage = { engine: 'postgres'; database_url: string } | { engine: 'pglite'; data_dir: string };

/** The server's environment: this process's, with the storage settings replaced (never inherited). */
function serverEnv(storage: ServerStorage, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: 'warn', HOST: '127.0.0.1', PORT: '0', ...extra };
  if (storage.engine === 'postgres') {
    env.DATABASE_URL = storage.database_url;
    delete env.DATA_DIR;
  } else {
    env.DATABASE_URL = '';
    env.DATA_DIR = storage.data_dir;
  }
  return env;
}

/** `capillary keys create` against the server's database; returns the token (printed once). */
export function createApiKey(storage: ServerStorage, name: string, scopes: readonly string[]): Promise<string> {
  return new Promise((resolveToken, reject) => {
    execFile(
      process.execPath,
      [CLI_MAIN, 'keys', 'create', '--name', name, '--scopes', scopes.join(',')],
      { env: serverEnv(storage), timeout: START_MS_MAX, maxBuffer: 1 << 20 },
      (err, stdout, stderr) => {
        if (err) return reject(new Error(`capillary keys create failed: ${err.message}\n${stderr}`));
        try {
          const { token } = JSON.parse(stdout) as { token?: unknown };
          if (typeof token !== 'string') throw new Error('no token in its output');
          resolveToken(token);
        } catch (parseErr) {
          reject(new Error(`capillary keys create printed something unexpected (${parseErr instanceof Error ? parseErr.message : String(parseErr)}): ${stdout}`));
        }
      },
    );
  });
}

export class CapillaryServer {
  private exited: Promise<void>;
  private exitedWith: string | undefined;
  url = '';

  private constructor(private readonly child: ChildProcess) {
    this.exited = new Promise((done) =>
      child.once('exit', (code, signal) => {
        this.exitedWith = `code ${code}, signal ${signal}`;
        done();
      }),
    );
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /**
   * `capillary serve` on a free port of 127.0.0.1; resolves once it says it is serving.
   * A server with much to load before it listens (the risk engine rebuilding its features)
   * needs a longer `start_ms_max`; `on_spawn` gets the server as soon as its process exists
   * (to watch it start, and to stop it if the benchmark is interrupted meanwhile).
   */
  static async start(
    storage: ServerStorage,
    extraEnv: Record<string, string> = {},
    options: { start_ms_max?: number; on_spawn?: (server: CapillaryServer) => void } = {},
  ): Promise<CapillaryServer> {
    const start_ms_max = options.start_ms_max ?? START_MS_MAX;
    const child = fork(CLI_MAIN, ['serve'], {
      env: serverEnv(storage, extraEnv),
      execArgv: ['--import', EXIT_WITH_PARENT],
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    const server = new CapillaryServer(child);
    options.on_spawn?.(server);
    const forward = (line: string) => console.error(`[capillary serve] ${line}`);
    createInterface({ input: child.stderr! }).on('line', forward);
    const stdout = createInterface({ input: child.stdout! });
    try {
      server.url = await new Promise<string>((resolveUrl, reject) => {
        const timer = setTimeout(() => reject(new Error(`capillary serve did not start within ${start_ms_max} ms`)), start_ms_max);
        stdout.on('line', (line) => {
          const ready = READY_LINE.exec(line);
          if (!ready) return forward(line);
          clearTimeout(timer);
          resolveUrl(ready[1]!);
        });
        void server.exited.then(() => {
          clearTimeout(timer);
          reject(new Error(`capillary serve exited before serving (${server.exitedWith})`));
        });
      });
      return server;
    } catch (err) {
      server.kill();
      throw err;
    }
  }

  /** SIGTERM (the server finishes its accepted batches and closes the database), SIGKILL after 30 s. */
  async stop(): Promise<void> {
    if (this.exitedWith !== undefined) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.kill(), STOP_MS_MAX);
    await this.exited;
    clearTimeout(timer);
  }

  kill(): void {
    if (this.exitedWith === undefined && this.child.exitCode === null) this.child.kill('SIGKILL');
  }
}
