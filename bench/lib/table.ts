/** Tables for the console (aligned columns) and for Markdown. */

/** Aligned columns: the first left-aligned, the rest right-aligned; the first row is the header. */
export function consoleTable(rows: readonly (readonly string[])[]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ')).join('\n');
}

export const markdownRow = (cells: readonly string[]): string => `| ${cells.join(' | ')} |`;
