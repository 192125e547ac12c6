/** The hand-written part of the envelopes section of docs/benchmarks.md: how the figures are made and how to read them. */

/** The naive server's pg pool on PostgreSQL: the same as the real server's default (DB_POOL_SIZE=20). */
export const NAIVE_POOL_SIZE = 20;

export const NOTES = `
How the runs work (bench/envelopes.ts, bench/envelopes/*.ts, shared pieces in bench/lib/):

- **Capillary** is the real server: the built CLI's \`capillary serve\` in a child process,
  configured only by its environment (\`DATABASE_URL\` on a scratch database, or \`DATA_DIR\`
  in a fresh temporary folder for PGlite), with default settings (pool of 20, the writer's
  and the grab lanes' defaults) and \`LOG_LEVEL=warn\`. Its admin key comes from
  \`capillary keys create\`; the load generator grabs with a second key that holds only
  \`envelopes:write\` (made through \`POST /v1/api-keys\`).
- **Naive baseline**: a bench-only Fastify server in its own process
  (bench/envelopes/naive-server.ts), one transaction per grab holding the envelope's row
  lock until COMMIT: \`SELECT … FOR UPDATE\` on the envelope, a look-up of an earlier grab by
  this customer, the double-mean draw (the same pure \`drawShare\`/\`settleGrabs\` as
  Capillary's core), \`UPDATE\` the envelope, \`INSERT\` the grab, lock both accounts in id
  order, two balance \`UPDATE\`s, \`INSERT\` the transfer, \`COMMIT\`. Its tables are copies of
  Capillary's (\`CREATE TABLE naive_… (LIKE … INCLUDING ALL)\`: same columns, checks and
  indexes) in the same database on PostgreSQL (a pg pool of ${NAIVE_POOL_SIZE}, like the server's
  default), and in its own file-backed PGlite folder on PGlite (one connection, so its
  transactions take turns). It validates the body with a JSON schema and checks a bearer
  token, but writes no outbox event, keeps no key table and has no in-memory lanes: it
  does less work per grab than Capillary.
- **Setup** (not timed): one account per user created through \`POST /v1/accounts\` arrays of
  up to 8,189, a bank account without limits, and a sender account (debits must not exceed
  credits) funded by one transfer from the bank; the naive server gets the same accounts.
  Envelopes are random-mode (double mean), mean share 8.88 CNY, audience "anyone with the
  link"; each is created right before its run (\`POST /v1/envelopes\`), and on PostgreSQL a
  \`CHECKPOINT\` follows so no run pays for the last one's dirty pages.
- **Load**: autocannon 8 in the benchmark's own process (never in a server's), \`N\` keep-alive
  connections, one request in flight on each. Request i is built just before it is sent:
  customer \`r<run>-u<i>\` grabs into account i, so every grab of a run is a distinct customer
  with their own account; in "many", customer i grabs envelope i mod the number of
  envelopes, so the envelopes are interleaved. Latency per grab is autocannon's (request
  written → response read); grabs/s counts every answer from the first request to the
  last answer (connection set-up included). Each server first takes a warm-up envelope
  (JIT, pools, prepared statements), checked like a measured run.
- **CPU**: the machine has 2 cores and nothing is pinned: the load generator (this
  process), the server process and PostgreSQL's backends (on PGlite, the database runs
  inside the server process) share them through the OS scheduler. The CPU column is each
  one's share of one core during the run, read from /proc ("loadgen" is this process,
  "pg" the bench database's backends plus the server's background processes, "others"
  everything else on the machine: other people's work, i.e. noise); 2 cores make 200%.
  The writer column is read from the server's \`GET /metrics\`
  (\`capillary_ledger_batch_transfers\`, \`capillary_ledger_batch_duration_seconds\`): batches
  committed during the run, mean grabs per batch (each grab is one transfer), mean commit time.
- **Oversell check** after every run, warm-ups included, and the run fails (exit code 1)
  on any difference: successes = min(shares, users) per envelope; every other answer is
  409 \`envelope_empty\`; the sum of the amounts the clients were told + the envelope's
  \`remaining_amount\` = its total, and \`claimed_count\`/\`claimed_amount\` agree with the
  clients; the holding account's balance (\`GET /v1/accounts/{holding_account_id}\`) =
  \`remaining_amount\`; \`GET /v1/ledger/invariants\` is ok (for the naive tables: debits =
  credits = the sum of transfers, and every balance matches its transfers).
- \`--quick\` (the CI smoke run) uses 300 users on 250 shares (so the \`envelope_empty\` path is
  checked too), 10 envelopes, 32 connections, on both engines; it prints only and its
  figures mean nothing.
`;
