/** What one run of the risk benchmark measured: plain data for the console table and docs/benchmarks.md. */
import type { CpuShares } from '../lib/cpu.js';
import type { MachineInfo } from '../lib/run-info.js';
import type { Anatomy } from '../ledger/anatomy.js';
import type { OutcomeCounts } from './drive.js';
import type { HistorySummary } from './history-loader.js';
import type { Sizes } from './options.js';
import type { SimulationPlan } from './simulation.js';

export type PhaseKey = 'engine' | 'baseline' | 'http';

export interface PhaseResult {
  key: PhaseKey;
  label: string;
  /** Measured decisions (warm-up excluded). */
  decisions: number;
  seconds: number;
  per_s: number;
  p50_ms: number;
  p99_ms: number;
  outcomes: OutcomeCounts;
  /** Share of one core of each process group during the measured part. */
  cpu: CpuShares;
  /** How it was driven, in words. */
  how: string;
}

export interface StartMeasurement {
  /** Wall time of RiskEngine.start(): deployments, lists, then every stored event of the window. */
  seconds: number;
  events: number;
  cpu: CpuShares;
  rss_before_mib: number;
  rss_after_mib: number;
  peak_rss_mib: number;
  heap_before_mib: number;
  heap_after_mib: number;
  graph: { nodes: number; edges: number; components: number; flagged: number; full: boolean };
  velocity: { entities: number; buckets: number };
}

export interface ServerStart {
  /** From fork to "Capillary is serving": Node start, migrations check, listen (the engine starts in the background). */
  listening_seconds: number;
  /** From fork to the first decision's answer: the above plus the engine's start (seedDefaults, the feature rebuild). */
  seconds: number;
  /** Events in the server's rebuild window when it started (history plus the in-process and baseline decisions). */
  events: number;
  rss_mib: number | undefined;
  peak_rss_mib: number | undefined;
  /** After the HTTP runs. */
  rss_after_mib: number | undefined;
}

/** Mean µs per decision of each part of a decision, timed part by part on fresh events. */
export interface DecisionAnatomy {
  events: number;
  parts: { label: string; us: number }[];
  /** graph.distance_to_fraud over the events: value → count ("null": no known fraudster within reach). */
  distance: Record<string, number>;
  /** Known fraudsters flagged in the graph (the deny list's customers). */
  flagged: number;
}

export interface FeatureCheck {
  events: number;
  keys: number;
  mismatched_events: number;
  /** The first few differences, as text. */
  examples: string[];
  same_outcome: number;
}

export interface HistoryReport extends Omit<HistorySummary, 'card'> {
  /** Wall seconds until the loader finished and the parent had walked past the history. */
  seconds: number;
  cpu: CpuShares;
  table_mib: number;
  heap_mib: number;
  vacuum_seconds: number;
}

export interface RunReport {
  command: string;
  started_at: Date;
  wall_s: number;
  quick: boolean;
  source: string;
  background_load: number | undefined;
  machine: MachineInfo;
  pg_version: string;
  pg_settings: Record<string, string>;
  sizes: Sizes;
  plan: SimulationPlan;
  history: HistoryReport;
  model: { id: string; version: number; attributes: number; rows: number; bads: number; train_seconds: number };
  deny_list: number;
  start: StartMeasurement;
  server: ServerStart;
  baseline_indexes: { seconds: number; names: string[] };
  check: FeatureCheck;
  results: PhaseResult[];
  anatomy: DecisionAnatomy;
  /** The engine's decision-log transactions during the in-process run. */
  log: Anatomy & { decisions: number };
}
