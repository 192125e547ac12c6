/** The hand-written part of the risk section of docs/benchmarks.md: how the figures are made and how to read them. */

export const NOTES = `
How the run works (bench/risk.ts, bench/risk/*.ts, shared pieces in bench/lib/):

- **Database**: a scratch PostgreSQL database per run (created, migrated, dropped at the end,
  also on failure or Ctrl-C). PGlite is not measured here: a million-event history in
  WebAssembly PostgreSQL would measure the loader, not the engine.
- **History** (not timed): the seeded simulator (src/risk/simulator.ts) with its default fraud
  rates; the population is sized so that the stored events cover about 28 of the last 30
  days, shifted to end just before the run starts. A loader process (so none of its memory
  is in the measured process) decides each event as the engine would have at the time —
  its context from velocity and graph state built from scratch in time order (\`buildContext\`),
  the live default rule set, no model yet — and stores the decisions with
  \`store.insertDecisions\` (one \`INSERT … SELECT FROM unnest(…)\` per 5,000 rows, two in
  flight). Past decisions open no review cases.
- **Model and lists**: a scorecard (\`trainScorecard\`) on the history's contexts (\`modelInputs\`:
  velocity, graph, customer flags, amount, hour, type), every fraud event and one genuine
  event in 20 (in 2 for \`--quick\`) — the project's own sampling for its fraud model — saved
  and deployed live through the Risk service (\`saveModel\`, \`deployModel\`). The history's
  mule-ring members are then put on the customer deny list through the Risk service, as a
  fraud team would after investigating: they are the graph's known fraudsters, so every
  fresh decision searches for the nearest one (\`graph.distance_to_fraud\`). The history itself
  was decided before anyone was on the list.
- **Fresh events** continue the same simulation, in order, each decided once, across the
  runs (warm-ups included): who does what — customer, device, IP, payee, merchant,
  amount, fraud incidents — comes from the simulation, but the time is the wall clock when
  the event is decided (in-process \`occurred_at = now\`; through HTTP \`occurred_at\` is left
  out and the server uses its own now). Tens of thousands of decisions a second replay days
  of simulated life per second, so short windows (1 minute, 1 hour) see far more events per
  customer than they would in life and more rules fire (the outcomes column shows it): the
  engine's work per decision does not shrink for it.
- **Engine start**: \`RiskEngine.start()\` in this process on an engine that has not started,
  as the server does (deployments, lists, then every stored event of the last 30 days, 5,000
  a page, into the velocity windows and the graph). Its wall time and this process's RSS and
  JS heap before and after (after full garbage collections), from /proc and
  \`process.memoryUsage()\`. The server's start is timed too: fork to "serving", with its RSS.
- **In-process**: \`RiskEngine.decide\` in a closed loop (64 decisions in flight: each worker
  starts the next as soon as its last resolved), warm-up first, then until the measured
  count or \`--seconds\` is reached. A decision resolves after it is stored: the engine's
  decision log writes what arrived in one turn of the event loop as one transaction.
  Latency is per decide call. The decision log's transactions are timed statement by
  statement by wrapping the Db the Risk service uses (bench/ledger/anatomy.ts).
- **Part by part**: after the in-process run, a slice of fresh events has its context built
  (and the model and rules run) part by part with a timer around each, without deciding
  or storing anything; the graph is timed once as it is and once with the known fraudsters
  unflagged for the moment, so the price of the search for fraud is measured, not guessed.
- **Baseline**: bench/risk/baseline.ts — every feature from SQL at decision time (20 velocity
  aggregates with the same bucket-aligned windows as the engine, lists, the graph keys that
  are look-ups), the same compiled rules and model, one transaction per decision, 64 in
  flight in this process on its own pool of 20. \`graph.component_size\` and
  \`graph.distance_to_fraud\` are left null: they need a recursive query over the whole history
  per decision; leaving them out only flatters the baseline. Its expression indexes exist
  only during its run. Before it runs, the engine's context and the baseline's are computed
  for the same fresh events at the same instant and compared key by key (the feature check
  above), so both compute the same features.
- **HTTP**: the real server (\`capillary serve\`, \`DATABASE_URL\` on the bench database,
  \`LOG_LEVEL=warn\`, default pool of 20) in its own process. It listens at once and starts
  the engine in the background — its features rebuilt from everything stored so far (the
  history plus the in-process and baseline decisions) — and decisions wait for that, so its
  start is timed from the fork to the answer of its first decision (one fresh event), and
  its RSS read then. autocannon (bench/lib/load.ts) in this process, keep-alive connections,
  one request in flight each, with a key holding only \`risk:decide\` (\`capillary keys create\`).
- **CPU**: the machine has 2 cores shared by this process, the server and PostgreSQL (its
  backends for the bench database plus its background processes); "others" is everything
  else on the machine (other people's work: noise). Figures are shares of one core, from
  /proc, over each measured run.
- \`--quick\` (CI) runs every phase on 20,000 past events and a few thousand decisions, prints
  only, and its figures mean nothing.
`;
