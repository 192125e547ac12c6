/** The hand-written part of docs/benchmarks.md: how the figures are made and how to read them. */
import { BATCH_SIZE_MAX } from '../../src/ledger/types.js';
import { IN_FLIGHT_REQUESTS, NAIVE_CLIENTS, REQUEST_TRANSFERS } from './scenario.js';
import { AMOUNT_MAX_MINOR, HOT_SHARE, POST_LAG_MAX } from './workload.js';

export const NOTES = `
How each scenario runs (bench/ledger/*.ts):

- **Write path** (in-process): transfers go through \`Ledger.submitTransfers\` → \`LedgerWriter\`
  exactly as the HTTP routes use it, with the writer's default options (as \`buildApp\` uses
  them). 10,000 accounts created through \`Ledger.createAccounts\`, no limit flags, amounts
  1–${AMOUNT_MAX_MINOR.toLocaleString('en-US')} minor units, UUIDv7 ids, traffic from a seeded random source. Requests of
  ${REQUEST_TRANSFERS} transfers, ${IN_FLIGHT_REQUESTS} in flight: ${BATCH_SIZE_MAX / REQUEST_TRANSFERS} requests fill one batch of exactly ${BATCH_SIZE_MAX.toLocaleString('en-US')}, and while one
  batch commits the next waits full, so every batch but the last is full. The latency
  column is per request (submit → resolve) and is mostly the wait for the batch ahead: it
  measures the queue, not the ledger.
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
- CPU is the share of one core used during the measurement, read from /proc: "bench" is
  the benchmark process (autocannon for HTTP; for in-process scenarios also the writer, and
  on PGlite the database itself), "server" the HTTP server process, "pg" the PostgreSQL
  backends of the bench database plus the server's shared background processes, "others"
  everything else on the machine (other people's work: noise). 2 cores make 200%.
- "Where a batch spends its time" wraps the \`Db\` given to the \`Ledger\` and times each
  statement of the batch transaction; "JavaScript" is the rest of the transaction body (the
  pure core applying the batch, the writer's bookkeeping). A statement's time includes
  building its parameters in JavaScript and the driver's work, not only the server's.
- \`--quick\` (CI smoke run: 200 accounts, 2,000 transfers) prints the same table with tiny
  sizes and never writes this file; its figures mean nothing.
`;
