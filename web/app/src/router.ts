/** History-API routing under /app/. Screens are named; a route change moves focus to the new screen's heading. */
import { signal } from './signal';

export const BASE = '/app/';
export const route = signal<string>(current());

function current(): string {
  const path = location.pathname.startsWith(BASE) ? location.pathname.slice(BASE.length) : '';
  return path.replace(/\/+$/, '');
}

export function navigate(path: string, replace = false): void {
  const url = BASE + path;
  if (replace) history.replaceState(null, '', url);
  else history.pushState(null, '', url);
  route.set(path);
  window.scrollTo(0, 0);
}

addEventListener('popstate', () => route.set(current()));
