/**
 * The HTTP server under test, run as a child process so the load generator does not share
 * its event loop: `node http-server.js <pglite|postgres> [database url]`. It opens the
 * database, creates an API key, listens on 127.0.0.1:<free port> and answers the parent's
 * IPC messages (reset the ledger, report totals, stop). Request logging is at `warn`.
 */
import { buildApp, type App } from '../../src/server/app.js';
import { systemClock } from '../../src/server/clock.js';
import { createKey } from '../../src/auth/store.js';
import type { Db } from '../../src/db/port.js';
import type { AccountId } from '../../src/ledger/types.js';
import { openEngine } from '../lib/database.js';
import { createAccounts, emptyLedger, ledgerTotals, settle } from './ledger-state.js';
import type { FromServer, ToServer } from './protocol.js';

const send = (message: FromServer) => process.send!(message);

async function main(): Promise<void> {
  const [engine, url] = process.argv.slice(2);
  if (!process.send) throw new Error('run me through child_process.fork (I talk over IPC)');
  if (engine !== 'pglite' && engine !== 'postgres') throw new Error(`engine must be pglite or postgres, got ${engine}`);
  const db: Db = await openEngine(engine, url || undefined);
  let app: App | undefined;
  let stopping: Promise<void> | undefined;
  let stopAsked = false;
  const stop = () =>
    (stopping ??= (async () => {
      await app?.close();
      await db.close();
    })());
  // The parent gone (crashed or killed) means nobody will ask us to stop: stop on our own.
  process.on('disconnect', () => void stop().finally(() => process.exit(stopAsked ? 0 : 1)));

  const { token } = await createKey(db, 'bench', ['ledger:write', 'metrics:read'], systemClock.now());
  app = await buildApp({ db, clock: systemClock, log_level: 'warn' });
  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  const ledger = app.ledger;

  process.on('message', (message: ToServer) => {
    void (async () => {
      try {
        if (message.type === 'reset') {
          await emptyLedger(db);
          await createAccounts(ledger, message.accounts as AccountId[], 0);
          await settle(db);
          send({ type: 'reset-done' });
        } else if (message.type === 'totals') {
          send({ type: 'totals', totals: await ledgerTotals(db) });
        } else if (message.type === 'stop') {
          stopAsked = true;
          await stop();
          send({ type: 'stopped' });
          process.disconnect();
        }
      } catch (err) {
        send({ type: 'error', message: err instanceof Error ? err.stack ?? err.message : String(err) });
      }
    })();
  });
  send({ type: 'ready', url: address, token });
}

main().catch((err) => {
  const message = err instanceof Error ? err.stack ?? err.message : String(err);
  if (process.send) process.send({ type: 'error', message } satisfies FromServer);
  else console.error(message);
  process.exitCode = 1;
  if (process.connected) process.disconnect();
});
