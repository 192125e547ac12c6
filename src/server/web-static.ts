/**
 * The web front ends, served by the API server itself: the customer app at /app/ and the
 * operator console at /console/, each from its Vite build in dist/web/<name> (`npm run build`).
 * Public routes (the pages hold no secrets; the API they call authenticates), a single-page
 * fallback to index.html for client routes, long-lived caching for content-hashed assets and
 * none for index.html and the service worker, and a strict Content-Security-Policy per app.
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { problemBody } from './problem.js';

export const WEB_APPS = ['app', 'console'] as const;
export type WebAppName = (typeof WEB_APPS)[number];

/** Where partners' mini-programs are served from: the only place the app may frame. */
export const MINI_PROGRAM_PATH = '/mini-programs/';

const HASHED_ASSET = /\/assets\/[^/]+-[A-Za-z0-9_-]{8,}\.[a-z0-9]+(\.(br|gz))?$/;
const IMMUTABLE = 'public, max-age=31536000, immutable';
const REVALIDATE = 'no-cache';
/** Client routes have no file extension; a missing file with one (a stale asset) is a 404, not the page. */
const CLIENT_ROUTE = /^[^.]*$/;

/** The CSP for one app. `origin` is this server's origin (for the app's mini-program frames). */
export function contentSecurityPolicy(name: WebAppName, origin: string): string {
  const directives = [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data: blob:",
    "font-src 'self'",
    "connect-src 'self'",
    "manifest-src 'self'",
    "worker-src 'self'",
    name === 'app' ? `frame-src ${origin}${MINI_PROGRAM_PATH}` : "frame-src 'none'",
    "frame-ancestors 'none'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
  ];
  return directives.join('; ');
}

function securityHeaders(reply: FastifyReply, name: WebAppName): void {
  const req = reply.request;
  const origin = `${req.protocol}://${req.host}`;
  reply.header('content-security-policy', contentSecurityPolicy(name, origin));
  reply.header('x-content-type-options', 'nosniff');
  reply.header('referrer-policy', 'no-referrer');
  reply.header('cross-origin-opener-policy', 'same-origin');
  // The app may ask for the camera (scan to pay) and, for a mini-program's getLocation after the customer allows, the location
  // (the app itself, never its frames: they are not listed); nothing else needs these powers.
  reply.header('permissions-policy', name === 'app' ? 'camera=(self), geolocation=(self), microphone=(), payment=()' : 'camera=(), geolocation=(), microphone=(), payment=()');
}

function cacheControlFor(path: string): string {
  return HASHED_ASSET.test(path) ? IMMUTABLE : REVALIDATE;
}

export interface WebStaticOptions {
  /** The folder holding <name>/index.html for each app (default: the project's dist/web). */
  root?: string;
}

/** dist/web of this checkout, whether this module runs compiled (dist/src/server) or from source (src/server). */
function defaultRoot(): string {
  const up = fileURLToPath(new URL('../../', import.meta.url));
  return basename(up) === 'dist' ? join(up, 'web') : join(up, 'dist', 'web');
}

/** Registers /app/ and /console/ (whichever is built; an unbuilt one answers a 404 saying how to build it). */
export async function registerWebStatic(app: FastifyInstance, options: WebStaticOptions = {}): Promise<void> {
  const root = options.root ?? defaultRoot();
  app.addHook('onRoute', (route) => {
    if (WEB_APPS.some((name) => route.url === `/${name}` || route.url.startsWith(`/${name}/`))) {
      route.config = { ...(route.config as object), public: true };
    }
  });
  let decorated = false;
  for (const name of WEB_APPS) {
    const dir = join(root, name);
    const indexFile = join(dir, 'index.html');
    const open = { config: { public: true }, schema: { hide: true } };
    app.get(`/${name}`, open, async (_req, reply) => reply.redirect(`/${name}/`, 301));
    if (!existsSync(indexFile)) {
      app.get(`/${name}/*`, open, async (req, reply) =>
        reply
          .status(404)
          .type('application/problem+json')
          .send(problemBody('not_found', `the ${name} web app is not built (dist/web/${name}); run \`npm run build\``, { request_id: String(req.id) })),
      );
      continue;
    }
    await app.register(fastifyStatic, {
      root: dir,
      prefix: `/${name}/`,
      // One route per built file (the build is fixed once the server starts), so the
      // single-page fallback below owns every other path under the prefix.
      wildcard: false,
      globIgnore: ['**/*.gz', '**/*.br'],
      preCompressed: true,
      decorateReply: !decorated,
      index: false,
      cacheControl: false,
      setHeaders: (reply, path) => {
        reply.header('cache-control', cacheControlFor(path));
        securityHeaders(reply, name);
      },
    });
    decorated = true;
    // index.html is small and fixed for the life of the process: keep it in memory.
    const indexHtml = readFileSync(indexFile);
    const sendIndex = (reply: FastifyReply) => {
      securityHeaders(reply, name);
      return reply.header('cache-control', REVALIDATE).type('text/html; charset=utf-8').send(indexHtml);
    };
    app.get(`/${name}/`, open, async (_req, reply) => sendIndex(reply));
    app.get(`/${name}/*`, open, async (req, reply) => {
      const rest = (req.params as { '*': string })['*'];
      if (!CLIENT_ROUTE.test(rest)) {
        return reply
          .status(404)
          .type('application/problem+json')
          .send(problemBody('not_found', `no file ${req.url.split('?')[0]}`, { request_id: String(req.id) }));
      }
      return sendIndex(reply);
    });
  }
}
