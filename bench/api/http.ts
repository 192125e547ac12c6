/**
 * HTTP for setting up and checking the server (never in the timed part: autocannon does
 * that): JSON calls with a bearer token, OAuth form posts, and a browser's cookie jar for
 * the consent page (fetch keeps no cookies).
 */

export interface Answer {
  status: number;
  headers: Headers;
  text: string;
  body: unknown;
}

async function answerOf(response: Response): Promise<Answer> {
  const text = await response.text();
  let body: unknown = text;
  try {
    body = text === '' ? undefined : JSON.parse(text);
  } catch {
    // not JSON (a page, a redirect): keep the text
  }
  return { status: response.status, headers: response.headers, text, body };
}

function expect(answer: Answer, what: string, status: number | readonly number[]): Answer {
  const wanted = typeof status === 'number' ? [status] : status;
  if (!wanted.includes(answer.status)) throw new Error(`${what} answered ${answer.status} (expected ${wanted.join(' or ')}): ${answer.text.slice(0, 500)}`);
  return answer;
}

/** A JSON call with `Authorization: Bearer <token>`; the body on one of the expected statuses, else an error naming the call. */
export async function json<T>(
  base: string,
  token: string,
  method: 'GET' | 'POST' | 'DELETE',
  path: string,
  status: number | readonly number[],
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<T> {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return expect(await answerOf(response), `${method} ${path}`, status).body as T;
}

/** The answer whatever its status (for look-ups that may be 404). */
export async function get(base: string, token: string, path: string): Promise<Answer> {
  return answerOf(await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${token}` } }));
}

const formOf = (fields: Record<string, string | readonly string[]>): string => {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(fields)) for (const v of typeof value === 'string' ? [value] : value) params.append(name, v);
  return params.toString();
};

/** An OAuth endpoint's form post (PAR, token): the JSON answer on the expected status. */
export async function oauthForm<T>(base: string, path: string, fields: Record<string, string>, headers: Record<string, string>, status: number): Promise<T> {
  const response = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: formOf(fields),
  });
  return expect(await answerOf(response), `POST ${path}`, status).body as T;
}

/** A browser on the consent page: keeps cookies, sends the page's Origin on form posts, follows no redirects. */
export class Browser {
  private readonly cookies = new Map<string, string>();

  constructor(private readonly base: string) {}

  private take(response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair, ...attributes] = line.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      if (value === '' || attributes.some((a) => /^\s*max-age=0\s*$/i.test(a))) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  async request(method: 'GET' | 'POST', path: string, status: number, form?: Record<string, string | readonly string[]>): Promise<Answer> {
    const headers: Record<string, string> = {};
    if (this.cookies.size > 0) headers.cookie = [...this.cookies].map(([n, v]) => `${n}=${v}`).join('; ');
    if (form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      headers.origin = new URL(this.base).origin;
    }
    const response = await fetch(`${this.base}${path}`, { method, headers, redirect: 'manual', ...(form ? { body: formOf(form) } : {}) });
    this.take(response);
    return expect(await answerOf(response), `${method} ${path.split('?')[0]}`, status);
  }
}

/** The value of a hidden form field in a page. */
export function hiddenField(html: string, name: string): string {
  const match = new RegExp(`name="${name}" value="([^"]*)"`).exec(html);
  if (!match) throw new Error(`the page has no hidden field ${name}`);
  return match[1]!.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}
