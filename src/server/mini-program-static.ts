/**
 * Partners' mini-programs, served at /mini-programs/<slug>/… from one folder per slug
 * (default: the project's examples/mini-programs). Every file carries the mini-program CSP
 * (src/mini-programs/core.ts): scripts and styles only from here, no network beyond the
 * partner's registered connect origins, framed only by the app, and `sandbox` so a page runs
 * in an opaque origin even when opened on its own (no cookies, storage or DOM of the bank).
 */
import { readFile, stat } from 'node:fs/promises';
import { basename, extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Queryable } from '../db/port.js';
import { SLUG, miniProgramCsp } from '../mini-programs/core.js';
import { findMiniProgramBySlug } from '../mini-programs/store.js';
import { problemBody } from './problem.js';
import { MINI_PROGRAM_PATH } from './web-static.js';

export const MINI_PROGRAM_FILE_BYTES_MAX = 2 * 1024 * 1024;
const ORIGINS_CACHE_MS = 5_000;
const SEGMENT = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}$/;
const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
};

export interface MiniProgramStaticOptions {
  /** The folder holding <slug>/… for each mini-program (default: examples/mini-programs of this checkout). */
  root?: string;
}

function defaultRoot(): string {
  const up = fileURLToPath(new URL('../../', import.meta.url));
  return join(basename(up) === 'dist' ? join(up, '..') : up, 'examples', 'mini-programs');
}

export function registerMiniProgramStatic(app: FastifyInstance, db: Queryable, options: MiniProgramStaticOptions = {}): void {
  const root = resolve(options.root ?? defaultRoot());
  const origins = new Map<string, { at: number; value: string[] }>();
  const connectOrigins = async (slug: string): Promise<string[]> => {
    const cached = origins.get(slug);
    if (cached && Date.now() - cached.at < ORIGINS_CACHE_MS) return cached.value;
    const value = (await findMiniProgramBySlug(db, slug))?.connect_origins ?? [];
    if (origins.size > 1_000) origins.clear();
    origins.set(slug, { at: Date.now(), value });
    return value;
  };
  const notFound = (reply: FastifyReply, url: string) =>
    reply.status(404).type('application/problem+json').send(problemBody('not_found', `no file ${url.split('?')[0]}`, { request_id: String(reply.request.id) }));

  const open = { config: { public: true }, schema: { hide: true } };
  app.get(`${MINI_PROGRAM_PATH}:slug`, open, async (req, reply) => reply.redirect(`${MINI_PROGRAM_PATH}${(req.params as { slug: string }).slug}/`, 301));
  app.get(`${MINI_PROGRAM_PATH}:slug/*`, open, async (req, reply) => {
    const { slug, '*': rest } = req.params as { slug: string; '*': string };
    const segments = (rest === '' ? 'index.html' : rest).split('/');
    if (!SLUG.test(slug) || segments.length > 5 || !segments.every((s) => SEGMENT.test(s) && s !== '..')) return notFound(reply, req.url);
    const folder = join(root, slug);
    const file = resolve(folder, ...segments);
    if (!file.startsWith(folder + sep)) return notFound(reply, req.url);
    const type = TYPES[extname(file).toLowerCase()];
    const info = await stat(file).catch(() => undefined);
    if (!type || !info?.isFile() || info.size > MINI_PROGRAM_FILE_BYTES_MAX) return notFound(reply, req.url);
    reply.header('content-security-policy', miniProgramCsp(await connectOrigins(slug)));
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'no-referrer');
    reply.header('permissions-policy', 'camera=(), geolocation=(), microphone=(), payment=()');
    reply.header('cache-control', 'no-cache');
    return reply.type(type).send(await readFile(file));
  });
}
