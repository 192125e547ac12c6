-- Backtest jobs: what was asked, how far the job got and what it found, so that a job and
-- its report outlive the process that ran it. The running process writes progress and a
-- heartbeat about once a second; a queued or running job whose process stopped is marked
-- interrupted (at once on a graceful stop, after the heartbeat lease on a crash). Jobs are
-- not resumed: the message asks for a new one.

CREATE TABLE risk_backtest_jobs (
  id              uuid PRIMARY KEY,
  -- The event source: stored events, a seeded simulation or an uploaded CSV.
  kind            text NOT NULL CHECK (kind IN ('stored', 'simulated', 'csv')),
  -- The request as given (an uploaded CSV by its size, rows and SHA-256, not its text).
  parameters      jsonb NOT NULL,
  status          text NOT NULL CHECK (status IN ('queued', 'running', 'done', 'failed', 'interrupted')),
  progress_done   integer NOT NULL DEFAULT 0 CHECK (progress_done >= 0),
  progress_total  integer CHECK (progress_total >= 0),
  -- The report, once done.
  result          jsonb,
  error           text,
  created_by      text NOT NULL,
  created_at      timestamptz NOT NULL,
  started_at      timestamptz,
  finished_at     timestamptz,
  heartbeat_at    timestamptz NOT NULL
);
CREATE INDEX risk_backtest_jobs_created_idx ON risk_backtest_jobs (created_at, id);
CREATE INDEX risk_backtest_jobs_active_idx ON risk_backtest_jobs (heartbeat_at) WHERE status IN ('queued', 'running');
