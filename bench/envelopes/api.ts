/** JSON over HTTP for setting up and checking a server (never in the timed part: the load generator does that). */

export interface Answer {
  status: number;
  body: unknown;
}

export async function call(base: string, token: string, method: 'GET' | 'POST', path: string, body?: unknown): Promise<Answer> {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    // not JSON: keep the text for the error message
  }
  return { status: response.status, body: parsed };
}

/** The answer's body, or an error naming the call and what came back. */
export async function expectStatus<T>(base: string, token: string, method: 'GET' | 'POST', path: string, status: number | number[], body?: unknown): Promise<T> {
  const answer = await call(base, token, method, path, body);
  const wanted = Array.isArray(status) ? status : [status];
  if (!wanted.includes(answer.status)) {
    const shown = JSON.stringify(answer.body) ?? '';
    throw new Error(`${method} ${path} answered ${answer.status} (expected ${wanted.join(' or ')}): ${shown.slice(0, 500)}`);
  }
  return answer.body as T;
}
