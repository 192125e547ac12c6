/**
 * Who is signed in. The session itself is an HttpOnly cookie this code never sees; the app
 * keeps only a hint that a session may exist (to skip a useless /v1/me call on the welcome
 * screen) and a random device id (the risk engine's new-device check).
 */
import { api, ApiError, type Customer } from './api';
import { signal } from './signal';

const HINT_KEY = 'capillary.signed_in';
const DEVICE_KEY = 'capillary.device_id';

/** undefined: not known yet; null: signed out. */
export const customer = signal<Customer | null | undefined>(localStorage.getItem(HINT_KEY) ? undefined : null);

export function deviceId(): string {
  let id = localStorage.getItem(DEVICE_KEY);
  if (!id) {
    id = crypto.randomUUID();
    localStorage.setItem(DEVICE_KEY, id);
  }
  return id;
}

/** Asks the service worker to forget cached API answers (they belong to the previous customer). */
function clearApiCache(): void {
  navigator.serviceWorker?.controller?.postMessage({ type: 'clear-api' });
}

export function signedIn(who: Customer): void {
  clearApiCache();
  localStorage.setItem(HINT_KEY, '1');
  customer.set(who);
}

export function signedOut(): void {
  clearApiCache();
  localStorage.removeItem(HINT_KEY);
  customer.set(null);
}

/** Resolves the hint: who holds the session cookie, if anyone. */
export async function restore(): Promise<void> {
  if (customer.get() !== undefined) return;
  try {
    customer.set(await api.me());
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) signedOut();
    else customer.set(null);
  }
}

export async function signOut(): Promise<void> {
  try {
    await api.signOut();
  } catch {
    // Signed out locally regardless; the server's session expires on its own.
  }
  signedOut();
}
