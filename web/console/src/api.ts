/**
 * The console's only way to the bank: the public HTTP API with the staff token as a Bearer
 * token, kept in sessionStorage (gone with the tab). Errors come back as problem+json.
 */

export type Role = 'viewer' | 'operator' | 'risk_analyst' | 'credit_officer' | 'admin';

export interface StaffSession {
  token: string;
  staff: { id: string; email: string; display_name: string; role: Role };
  scopes: string[];
}

export interface Problem {
  status: number;
  code: string;
  title?: string;
  detail: string;
  /** Field-named problems (validation), when the server lists them. */
  errors?: { field: string; message: string }[];
}

export class ApiError extends Error {
  constructor(readonly problem: Problem) {
    super(problem.detail || problem.title || problem.code);
  }
}

const SESSION_KEY = 'capillary.console.session';
export const SIGNED_OUT_EVENT = 'capillary:signed-out';

export function loadSession(): StaffSession | null {
  try {
    const raw = sessionStorage.getItem(SESSION_KEY);
    return raw ? (JSON.parse(raw) as StaffSession) : null;
  } catch {
    return null;
  }
}

export function saveSession(session: StaffSession): void {
  sessionStorage.setItem(SESSION_KEY, JSON.stringify(session));
}

export function clearSession(): void {
  sessionStorage.removeItem(SESSION_KEY);
}

/** `admin` holds every scope; `area:*` holds every scope of the area. */
export function grants(scopes: readonly string[], needed: string): boolean {
  if (scopes.includes('admin') || scopes.includes(needed)) return true;
  const area = needed.split(':')[0];
  return scopes.includes(`${area}:*`);
}

function newId(): string {
  return crypto.randomUUID();
}

export async function api<T>(method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', path: string, body?: unknown, options: { auth?: boolean } = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json, application/problem+json' };
  const session = options.auth === false ? null : loadSession();
  if (session) headers.authorization = `Bearer ${session.token}`;
  let payload: string | undefined;
  if (method !== 'GET' && method !== 'DELETE') {
    headers['content-type'] = 'application/json';
    payload = JSON.stringify(body ?? {});
    // Safe retries of a write that timed out: the server answers a repeat from its record.
    if (method === 'POST' && options.auth !== false) headers['idempotency-key'] = newId();
  }
  let res: Response;
  try {
    res = await fetch(path, { method, headers, body: payload, credentials: 'omit', cache: 'no-store' });
  } catch {
    throw new ApiError({ status: 0, code: 'network_error', detail: 'the server could not be reached' });
  }
  const text = await res.text();
  let json: unknown = undefined;
  if (text) {
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
  }
  if (!res.ok) {
    const p = (json ?? {}) as Partial<Problem>;
    const problem: Problem = { status: res.status, code: p.code ?? `http_${res.status}`, title: p.title, detail: p.detail ?? res.statusText, errors: Array.isArray(p.errors) ? p.errors : undefined };
    if (res.status === 401 && session) {
      clearSession();
      window.dispatchEvent(new Event(SIGNED_OUT_EVENT));
    }
    throw new ApiError(problem);
  }
  return json as T;
}

export const get = <T>(path: string) => api<T>('GET', path);
export const post = <T>(path: string, body?: unknown) => api<T>('POST', path, body);

/** A query string from the defined values only. */
export function qs(params: Record<string, string | number | undefined | null>): string {
  const out = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') out.set(k, String(v));
  const s = out.toString();
  return s ? `?${s}` : '';
}

export interface Page<T> {
  data?: T[];
  items?: T[];
  next_cursor: string | null;
}

/** Lists in this API say `data`; a few newer ones say `items`. */
export const rows = <T>(page: Page<T>): T[] => page.data ?? page.items ?? [];
