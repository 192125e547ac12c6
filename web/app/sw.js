// Capillary app service worker (template: the build fills in the shell list and version).
// - App shell (index.html, hashed assets, icons, manifest): precached at install; assets
//   served cache-first, pages network-first falling back to the cached shell.
// - GET answers of the customer API (/v1/me…): network-first, the last good answer kept so
//   already-seen data shows offline (marked with x-capillary-offline: 1).
// - Nothing else is cached: no sign-in flows, no POSTs. The app asks the worker to forget
//   cached answers at sign-in and sign-out ({type: 'clear-api'}).
const SHELL = self.__SHELL__;
const VERSION = self.__VERSION__;
const BASE = self.__BASE__;
const SHELL_CACHE = `capillary-app-shell-${VERSION}`;
const API_CACHE = 'capillary-app-api';

self.addEventListener('install', (event) => {
  event.waitUntil(
    caches
      .open(SHELL_CACHE)
      .then((cache) => cache.addAll(SHELL))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) => Promise.all(keys.filter((k) => k.startsWith('capillary-app-shell-') && k !== SHELL_CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener('message', (event) => {
  if (event.data && event.data.type === 'clear-api') event.waitUntil(caches.delete(API_CACHE));
});

async function shellFirst(request) {
  const cached = await caches.match(request, { cacheName: SHELL_CACHE });
  return cached || fetch(request);
}

async function pageNetworkFirst(request) {
  try {
    return await fetch(request);
  } catch (err) {
    const shell = await caches.match(BASE, { cacheName: SHELL_CACHE });
    if (shell) return shell;
    throw err;
  }
}

async function apiNetworkFirst(request) {
  const cache = await caches.open(API_CACHE);
  try {
    const response = await fetch(request);
    if (response.ok) await cache.put(request, response.clone());
    else if (response.status === 401) await caches.delete(API_CACHE);
    return response;
  } catch (err) {
    const cached = await cache.match(request);
    if (!cached) throw err;
    const headers = new Headers(cached.headers);
    headers.set('x-capillary-offline', '1');
    return new Response(cached.body, { status: cached.status, statusText: cached.statusText, headers });
  }
}

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname.startsWith('/v1/me')) return event.respondWith(apiNetworkFirst(request));
  if (!url.pathname.startsWith(BASE) || url.pathname === `${BASE}sw.js`) return;
  if (request.mode === 'navigate') return event.respondWith(pageNetworkFirst(request));
  event.respondWith(shellFirst(request));
});
