/** Process memory as the OS sees it (resident set, and its peak) and a way to collect garbage before reading it. */
import { readFileSync } from 'node:fs';
import v8 from 'node:v8';
import vm from 'node:vm';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

/** Full garbage collections, so a reading of this process's memory counts live data, not garbage. */
export function collectGarbage(): void {
  gc();
  gc();
}

export interface ProcessMemory {
  /** Resident set now (VmRSS), MiB. */
  rss_mib: number;
  /** Peak resident set since the process started (VmHWM), MiB. */
  peak_mib: number;
}

/** From /proc/<pid>/status (Linux); undefined elsewhere or once the process is gone. */
export function processMemory(pid: number | 'self' = 'self'): ProcessMemory | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN);
    return { rss_mib: kib('VmRSS') / 1024, peak_mib: kib('VmHWM') / 1024 };
  } catch {
    return undefined;
  }
}

export const heapMib = (): number => process.memoryUsage().heapUsed / 2 ** 20;
