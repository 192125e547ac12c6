/** The hand-written part of docs/benchmarks.md: how the figures are made and how to read them. */
import { BATCH_SIZE_MAX } from '../../src/ledger/types.js';
import { IN_FLIGHT_REQUESTS, NAIVE_CLIENTS, REQUEST_TRANSFERS } from './scenario.js';
import { AMOUNT_MAX_MINOR, HOT_SHARE, POST_LAG_MAX } from './workload.js';

export const NOTES = `
How each scenario runs (bench/ledger/*.ts):

- **Write path** (in-process): transfers go through \`Ledger.submitTransfers\` → \`LedgerWriter\`
  exactly as the HTTP routes use it. Requests of ${REQUEST_TRANSFERS} transfers, ${IN_FLIGHT_REQUESTS} in flight
  (${BATCH_SIZE_MAX / REQUEST_TRANSFERS} requests fill one batch of exactly ${BATCH_SIZE_MAX.toLocaleString('en-US')}; three batches' worth waits, so the
  writer never runs short). 10,000 accounts created through \`Ledger.createAccounts\`, no limit
  flags, amounts 1–${AMOUNT_MAX_MINOR.toLocaleString('en-US')} minor units, UUIDv7 ids, traffic from a seeded random source.
  The latency column is per request (submit → resolve).
- **50% hot account**: ${HOT_SHARE * 100}% of transfers have one fixed account on one side (debit or credit
  at random); the rest move between two other accounts.
- **pending→post**: half the transfers are \`pending\` reservations and half are \`post_pending\`
  of an earlier reservation (full amount), each post about one batch (${POST_LAG_MAX.toLocaleString('en-US')} reservations) behind
  its reservation, so every batch reserves, looks up earlier reservations and posts them. At
  the end nothing is pending.
- **limit-flag accounts**: the same uniform traffic between accounts flagged
  \`debits_must_not_exceed_credits\`, each funded first (not measured) from one unflagged account.
- **Baseline (a) naive**: per transfer one transaction — \`SELECT … WHERE id IN ($1, $2) ORDER
  BY id FOR UPDATE\`, two balance \`UPDATE\`s, one \`INSERT\` into the same \`transfers\` table (same
  columns, fingerprint included), \`COMMIT\` — from ${NAIVE_CLIENTS} concurrent clients. On PostgreSQL a pg pool
  of ${NAIVE_CLIENTS}; on PGlite the one embedded connection serialises the ${NAIVE_CLIENTS} clients' transactions,
  so its latency is mostly queueing. It writes no outbox row and checks no idempotency:
  it does less than the write path.
- **Baseline (b) raw ceiling**: the write path's own \`INSERT … SELECT FROM unnest(…)\` statement
  for transfers (same columns, same SQL), ${BATCH_SIZE_MAX.toLocaleString('en-US')} rows per statement, one statement per
  transaction, one after another: what PostgreSQL can absorb of these rows with no ledger
  logic, no account locks or updates and no outbox.
- **HTTP**: the app (\`buildApp\`, log level \`warn\`) runs in a **child process** listening on
  127.0.0.1; autocannon 8 runs in the benchmark process, so the load generator does not share
  the server's event loop (it does share the machine's cores, as PostgreSQL does). Each
  request body is built by autocannon's \`setupRequest\` hook with fresh UUIDv7 transfer ids,
  authorised with an API key made by \`createKey\`. Latency there is per HTTP request.
- Every scenario starts from empty tables (\`TRUNCATE\`), fresh accounts, \`ANALYZE accounts\` and,
  on PostgreSQL, a \`CHECKPOINT\`; warms up (JIT, connections, caches) with traffic of the same
  shape; then measures a fixed number of transfers, timed from the first submission to the
  last response.
- After every scenario the run checks the stored data and fails loudly otherwise: posted
  debits = posted credits and pending debits = pending credits over all accounts, the
  posted total equals the sum of the amounts sent (in-process scenarios), and the
  \`transfers\` table holds exactly the rows sent (warm-up included); every in-process
  result must be \`ok\` and not a replay, every HTTP response 200/201.
- CPU is the share of one core used during the measurement by the benchmark process
  (client side and, in-process, the writer), the HTTP server process, and all postgres
  processes, read from /proc. With 2 cores, 200% is everything the machine has.
- "Where a batch spends its time" wraps the \`Db\` given to the \`Ledger\` and times each
  statement of the batch transaction; "JavaScript" is the rest of the transaction body (the
  pure core applying the batch, the writer's bookkeeping). A statement's time includes
  building its parameters in JavaScript and the driver's work, not only the server's.
- \`--quick\` (CI smoke run: 200 accounts, 2,000 transfers) prints the same table with tiny
  sizes and never writes this file; its figures mean nothing.
`;
