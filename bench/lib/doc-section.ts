/**
 * docs/benchmarks.md holds one section per benchmark, each between its own markers
 * (`<!-- bench:<name>:start -->` … `<!-- bench:<name>:end -->`). A full run replaces only
 * its own section, so the ledger and envelope benchmarks never clobber each other.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export const DOC_TITLE = '# Benchmarks';

export const sectionMarkers = (name: string) => ({ start: `<!-- bench:${name}:start -->`, end: `<!-- bench:${name}:end -->` });

/**
 * `document` with the content between `name`'s markers replaced by `content` (which
 * should end with a newline), or the section appended if the markers are absent. A
 * document with a lone marker, a repeated one or the end before the start is refused:
 * guessing would risk deleting someone else's section.
 */
export function replaceSection(document: string, name: string, content: string): string {
  if (!/^[a-z0-9-]+$/.test(name)) throw new Error(`section name must be lower-case letters, digits and -: ${name}`);
  const { start, end } = sectionMarkers(name);
  const body = content.endsWith('\n') ? content : `${content}\n`;
  const count = (marker: string) => document.split(marker).length - 1;
  const starts = count(start);
  const ends = count(end);
  if (starts === 0 && ends === 0) {
    const separator = document === '' ? '' : document.endsWith('\n\n') ? '' : document.endsWith('\n') ? '\n' : '\n\n';
    return `${document}${separator}${start}\n${body}${end}\n`;
  }
  if (starts !== 1 || ends !== 1) throw new Error(`the document has ${starts} "${start}" and ${ends} "${end}" markers; expected one of each`);
  const from = document.indexOf(start) + start.length;
  const to = document.indexOf(end);
  if (to < from) throw new Error(`"${end}" comes before "${start}"`);
  return `${document.slice(0, from)}\n${body}${document.slice(to)}`;
}

/** Writes `content` as section `name` of `file`, creating the file (with its title) if needed. */
export function writeSection(file: string, name: string, content: string): void {
  const document = existsSync(file) ? readFileSync(file, 'utf8') : `${DOC_TITLE}\n\n`;
  const updated = replaceSection(document, name, content);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, updated);
}
