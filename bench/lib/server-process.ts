/**
 * A bench-only HTTP server run as a child process (its own event loop, so the load
 * generator here does not share it), and a promise-based view of its IPC messages.
 * The child sends `ready` with its URL and API token once it listens, answers `stop` with
 * `stopped`, reports failures as `error`, and stops on its own if the parent goes away.
 */
import { fork, type ChildProcess } from 'node:child_process';

export type BaseToServer = { type: 'stop' };
export type BaseFromServer = { type: 'ready'; url: string; token: string } | { type: 'stopped' } | { type: 'error'; message: string };

const SERVER_START_MS_MAX = 120_000;
const SERVER_CALL_MS_MAX = 120_000;
const SERVER_STOP_MS_MAX = 30_000;

export class ServerProcess<To extends { type: string } = BaseToServer, From extends { type: string } = BaseFromServer> {
  private waiters: Array<{ resolve: (m: From) => void; reject: (e: Error) => void }> = [];
  private exited: Error | undefined;
  url = '';
  token = '';

  private constructor(
    private readonly child: ChildProcess,
    private readonly label: string,
  ) {
    child.on('message', (message: From) => {
      const waiter = this.waiters.shift();
      if (!waiter) return;
      if (message.type === 'error') waiter.reject(new Error(`${label}: ${(message as { message?: string }).message ?? 'error'}`));
      else waiter.resolve(message);
    });
    child.on('exit', (code, signal) => {
      this.exited = new Error(`${label} exited (code ${code}, signal ${signal})`);
      for (const waiter of this.waiters.splice(0)) waiter.reject(this.exited);
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Forks `script` with `args` and waits for its `ready` message. */
  static async start<To extends { type: string }, From extends { type: string }>(
    script: string,
    args: readonly string[],
    label = 'HTTP server',
  ): Promise<ServerProcess<To, From>> {
    const child = fork(script, [...args], { serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const server = new ServerProcess<To, From>(child, label);
    try {
      const ready = (await server.next(SERVER_START_MS_MAX)) as { type: string; url?: string; token?: string };
      if (ready.type !== 'ready' || ready.url === undefined || ready.token === undefined) throw new Error(`${label} sent ${ready.type} before ready`);
      server.url = ready.url;
      server.token = ready.token;
      return server;
    } catch (err) {
      server.kill();
      throw err;
    }
  }

  private next(timeout_ms: number): Promise<From> {
    if (this.exited) return Promise.reject(this.exited);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${this.label} did not answer within ${timeout_ms} ms`)), timeout_ms);
      this.waiters.push({
        resolve: (m) => (clearTimeout(timer), resolve(m)),
        reject: (e) => (clearTimeout(timer), reject(e)),
      });
    });
  }

  async call<T extends From['type']>(message: To, expect: T): Promise<Extract<From, { type: T }>> {
    const answer = this.next(SERVER_CALL_MS_MAX);
    this.child.send(message);
    const reply = await answer;
    if (reply.type !== expect) throw new Error(`${this.label} answered ${reply.type}, expected ${expect}`);
    return reply as Extract<From, { type: T }>;
  }

  /** Asks the server to close its app and database; kills it if it does not within 30 s. */
  async stop(): Promise<void> {
    if (this.exited) return;
    const gone = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    try {
      await this.call({ type: 'stop' } as To, 'stopped' as From['type']);
    } catch {
      this.kill();
    }
    const timer = setTimeout(() => this.kill(), SERVER_STOP_MS_MAX);
    await gone;
    clearTimeout(timer);
  }

  kill(): void {
    if (!this.exited && this.child.exitCode === null) this.child.kill('SIGKILL');
  }
}
