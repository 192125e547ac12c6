/**
 * HTTP through global fetch (undici) to 127.0.0.1 only, problem+json assertions, and
 * bounded-concurrency helpers.
 */
import { uuidv7 } from '../../src/db/uuid.js';
import { randomUUID } from 'node:crypto';
import { expect } from 'vitest';

export interface Res<T = any> {
  status: number;
  headers: Headers;
  /** Parsed JSON when the response is JSON (or problem+json), else the text. */
  body: T;
  text: string;
}

export interface RequestOptions {
  /** A JSON value to send (serialised with JSON.stringify). */
  json?: unknown;
  /** Bytes or text to send as they are. */
  raw?: string | Buffer;
  /** Overrides the client's token; null sends no Authorization header. */
  token?: string | null;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

export class Client {
  constructor(readonly base: string, readonly token: string | null = null) {
    const url = new URL(base);
    if (url.hostname !== '127.0.0.1') throw new Error(`tests talk to 127.0.0.1 only, not ${url.hostname}`);
  }

  as(token: string | null): Client {
    return new Client(this.base, token);
  }

  async request<T = any>(method: string, path: string, options: RequestOptions = {}): Promise<Res<T>> {
    const headers: Record<string, string> = { ...options.headers };
    const token = options.token === undefined ? this.token : options.token;
    if (token) headers.authorization = `Bearer ${token}`;
    let body: string | Buffer | undefined;
    if (options.json !== undefined) {
      body = JSON.stringify(options.json);
      headers['content-type'] ??= 'application/json';
    } else if (options.raw !== undefined) {
      body = options.raw;
    }
    const response = await fetch(`${this.base}${path}`, { method, headers, body, signal: options.signal, redirect: 'follow' });
    const text = await response.text();
    const type = response.headers.get('content-type') ?? '';
    let parsed: unknown = text;
    if (/json/.test(type) && text.length > 0) parsed = JSON.parse(text);
    return { status: response.status, headers: response.headers, body: parsed as T, text };
  }

  get<T = any>(path: string, options?: RequestOptions) {
    return this.request<T>('GET', path, options);
  }

  post<T = any>(path: string, json?: unknown, options: RequestOptions = {}) {
    return this.request<T>('POST', path, json === undefined ? options : { ...options, json });
  }

  put<T = any>(path: string, json?: unknown, options: RequestOptions = {}) {
    return this.request<T>('PUT', path, json === undefined ? options : { ...options, json });
  }

  delete<T = any>(path: string, options?: RequestOptions) {
    return this.request<T>('DELETE', path, options);
  }
}

/** Asserts a problem+json response with the given status and code, and optionally the field it names. */
export function expectProblem(res: Res, status: number, code: string, field?: string): void {
  const summary = `${res.status} ${res.text.slice(0, 400)}`;
  expect(res.status, summary).toBe(status);
  expect(res.headers.get('content-type') ?? '', summary).toMatch(/^application\/problem\+json/);
  expect(res.body.code, summary).toBe(code);
  expect(res.body.status, summary).toBe(status);
  expect(typeof res.body.detail, summary).toBe('string');
  expect(res.body.type, summary).toBe(`/errors#${code}`);
  if (field !== undefined) {
    const named = [res.body.field, ...((res.body.errors ?? []) as { field: string }[]).map((e) => e.field)];
    expect(named, summary).toContain(field);
  }
}

/** Runs `fn` over `items` with at most `concurrency` in flight; results in input order. */
export async function mapPool<T, R>(items: readonly T[], concurrency: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    for (;;) {
      const i = next++;
      if (i >= items.length) return;
      results[i] = await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, worker));
  return results;
}

/** UUIDv7 ids: time-ordered prefix, random tail. */
export const uuid7 = (): string => uuidv7();

export const ids = (n: number): string[] => Array.from({ length: n }, () => uuid7());

/** Reads a metric's value from Prometheus text (first sample whose name and labels match). */
export function metricValue(text: string, name: string, labels = ''): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const [key, value] = line.split(' ');
    if (key === `${name}${labels}`) return Number(value);
  }
  return undefined;
}
