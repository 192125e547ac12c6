/** What a benchmark report says about the run itself: the code measured and the machine. */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { packageVersion } from './database.js';

/** The repository root (this file is dist/bench/lib/run-info.js once built). */
export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const BENCHMARKS_DOC = resolve(PROJECT_ROOT, 'docs', 'benchmarks.md');

/** Which code was measured: the commit, and whether src/ had uncommitted changes (new files included). */
export function sourceState(): string {
  try {
    const git = (...args: string[]) => execFileSync('git', args, { cwd: PROJECT_ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const lines = (text: string) => text.split('\n').filter(Boolean);
    const commit = git('rev-parse', '--short', 'HEAD');
    const changed = lines(git('diff', '--name-only', 'HEAD', '--', 'src'));
    const added = lines(git('ls-files', '--others', '--exclude-standard', '--', 'src'));
    if (changed.length + added.length === 0) return `git ${commit}`;
    const diff = createHash('sha1').update(git('diff', 'HEAD', '--', 'src'));
    for (const file of added) diff.update(`\0${file}\0`).update(readFileSync(resolve(PROJECT_ROOT, file)));
    const files = [...changed.map((f) => `\`${f}\``), ...added.map((f) => `\`${f}\` (new)`)];
    return `git ${commit} plus uncommitted changes (diff sha1 ${diff.digest('hex').slice(0, 10)}) to ${files.join(', ')}`;
  } catch {
    return 'unknown (not a git checkout)';
  }
}

export interface MachineInfo {
  cpus: number;
  cpu_model: string;
  memory_gib: number;
  os: string;
  node: string;
  pglite: string;
  autocannon: string;
  pg_client: string;
}

export function machine(): MachineInfo {
  return {
    cpus: os.availableParallelism(),
    cpu_model: os.cpus()[0]?.model.trim() ?? 'unknown',
    memory_gib: os.totalmem() / 2 ** 30,
    os: `${os.type()} ${os.release()} (${os.arch()})`,
    node: process.version,
    pglite: packageVersion('@electric-sql/pglite'),
    autocannon: packageVersion('autocannon'),
    pg_client: packageVersion('pg'),
  };
}

/** The machine as Markdown list items. */
export function machineLines(m: MachineInfo): string[] {
  return [
    `- CPU: ${m.cpus} cores (\`nproc\`), ${m.cpu_model}`,
    `- Memory: ${m.memory_gib.toFixed(1)} GiB`,
    `- OS: ${m.os}`,
    `- Node.js ${m.node}; pg ${m.pg_client}; PGlite ${m.pglite}; autocannon ${m.autocannon}`,
  ];
}
