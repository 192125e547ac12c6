/** Small shared pieces: data loading, error display, tables, key/value lists. */
import type { ComponentChildren, JSX } from 'preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, get, rows, type Page } from './api';
import { t } from './i18n';

export interface Async<T> {
  data: T | undefined;
  error: ApiError | undefined;
  loading: boolean;
  reload: () => void;
}

/** Runs `load` on mount and whenever `deps` change; the latest call wins. */
export function useAsync<T>(load: () => Promise<T>, deps: unknown[]): Async<T> {
  const [state, setState] = useState<{ data?: T; error?: ApiError; loading: boolean }>({ loading: true });
  const [tick, setTick] = useState(0);
  const seq = useRef(0);
  useEffect(() => {
    const mine = ++seq.current;
    setState((s) => ({ data: s.data, loading: true }));
    load().then(
      (data) => mine === seq.current && setState({ data, loading: false }),
      (err: unknown) => mine === seq.current && setState({ error: asApiError(err), loading: false }),
    );
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((n) => n + 1), []);
  return { data: state.data, error: state.error, loading: state.loading, reload };
}

export function asApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  return new ApiError({ status: 0, code: 'client_error', detail: err instanceof Error ? err.message : String(err) });
}

export function ErrorBox({ error, onRetry }: { error: ApiError; onRetry?: () => void }) {
  const refused = error.problem.status === 403;
  return (
    <div class="error" role="alert">
      <strong>{refused ? t('not_allowed') : t('error')}</strong>{' '}
      <span>
        {error.problem.detail} <code>{error.problem.code}</code>
      </span>
      {onRetry && (
        <button type="button" class="link" onClick={onRetry}>
          {t('retry')}
        </button>
      )}
    </div>
  );
}

/** Loading / error / content for one Async. */
export function Load<T>({ state, children }: { state: Async<T>; children: (data: T) => ComponentChildren }) {
  if (state.error) return <ErrorBox error={state.error} onRetry={state.reload} />;
  if (state.data === undefined)
    return (
      <p class="muted" role="status">
        {t('loading')}
      </p>
    );
  return <>{children(state.data)}</>;
}

export interface Column<T> {
  label: string;
  cell: (row: T) => ComponentChildren;
  num?: boolean;
}

export function Table<T>({ rows, columns, caption, rowKey }: { rows: T[]; columns: Column<T>[]; caption: string; rowKey: (row: T) => string }) {
  if (rows.length === 0) return <p class="muted">{t('none')}</p>;
  return (
    <div class="table-wrap">
      <table>
        <caption class="sr-only">{caption}</caption>
        <thead>
          <tr>
            {columns.map((c) => (
              <th scope="col" class={c.num ? 'num' : undefined}>
                {c.label}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={rowKey(r)}>
              {columns.map((c) => (
                <td class={c.num ? 'num' : undefined}>{c.cell(r)}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function KeyValues({ items }: { items: [string, ComponentChildren][] }) {
  return (
    <dl class="kv">
      {items.map(([k, v]) => (
        <div key={k}>
          <dt>{k}</dt>
          <dd>{v}</dd>
        </div>
      ))}
    </dl>
  );
}

export function Section({ title, children, actions, id }: { title: string; children: ComponentChildren; actions?: ComponentChildren; id?: string }) {
  const headingId = `h-${(id ?? title).replace(/[^A-Za-z0-9]+/g, '-')}`;
  return (
    <section class="card" aria-labelledby={headingId} id={id}>
      <div class="card-head">
        <h2 id={headingId}>{title}</h2>
        {actions}
      </div>
      {children}
    </section>
  );
}

export function Field({ label, children, hint }: { label: string; children: JSX.Element; hint?: string }) {
  return (
    <label class="field">
      <span>{label}</span>
      {children}
      {hint && <small class="muted">{hint}</small>}
    </label>
  );
}

export function Badge({ value }: { value: string }) {
  return <span class={`badge badge-${value.replace(/[^a-z_]/g, '')}`}>{value}</span>;
}

export const link = (hash: string) => `#${hash}`;

/** A cursor-paginated list: the first page loads whenever `deps` change; `more` (while there is a next page) appends the next. */
export interface Paged<T> {
  first: Async<Page<T>>;
  items: T[];
  more: (() => Promise<void>) | undefined;
}

/** `path(cursor)` is a page's URL (`cursor` undefined for the first page). */
export function usePaged<T>(path: (cursor: string | undefined) => string, deps: unknown[]): Paged<T> {
  const [items, setItems] = useState<T[]>([]);
  const [next, setNext] = useState<string | null>(null);
  const first = useAsync(async () => {
    const page = await get<Page<T>>(path(undefined));
    setItems(rows(page));
    setNext(page.next_cursor);
    return page;
  }, deps);
  const more = next
    ? async () => {
        const page = await get<Page<T>>(path(next));
        setItems((p) => [...p, ...rows(page)]);
        setNext(page.next_cursor);
      }
    : undefined;
  return { first, items, more };
}

/** A paged list as a table, with a "more" button while there is a next page. */
export function PagedTable<T>({ list, caption, rowKey, columns }: { list: Paged<T>; caption: string; rowKey: (row: T) => string; columns: Column<T>[] }) {
  return (
    <Load state={list.first}>
      {() => (
        <>
          <Table caption={caption} rows={list.items} rowKey={rowKey} columns={columns} />
          {list.more && (
            <button type="button" onClick={list.more}>
              {t('more')}
            </button>
          )}
        </>
      )}
    </Load>
  );
}

/** A one-field search form; `onSearch` gets the trimmed text when it is sent. */
export function SearchForm({ label, name, onSearch }: { label: string; name: string; onSearch: (text: string) => void }) {
  const [value, setValue] = useState('');
  return (
    <form
      class="inline"
      role="search"
      onSubmit={(e) => {
        e.preventDefault();
        onSearch(value.trim());
      }}
    >
      <Field label={label}>
        <input type="search" name={name} value={value} onInput={(e) => setValue(e.currentTarget.value)} />
      </Field>
      <button type="submit">{t('search')}</button>
    </form>
  );
}
