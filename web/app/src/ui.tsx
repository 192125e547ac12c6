/** Small shared pieces: headings that take focus, fields with labels, errors read out by screen readers, the ready marker. */
import type { ComponentChildren } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
import { ApiError } from './api';
import { t } from './i18n';
import { formatMoney } from './money';

let readyMarked = false;

/**
 * Marks the first meaningful screen: `data-ready` on <body> (tests and the benchmark wait for
 * it) and the performance marks `capillary:ready` and, once the browser is idle after it,
 * `capillary:interactive`.
 */
export function useReady(screen: string, when = true): void {
  useEffect(() => {
    if (!when) return;
    document.body.dataset.ready = screen;
    if (readyMarked) return;
    readyMarked = true;
    performance.mark('capillary:ready');
    requestAnimationFrame(() => setTimeout(() => performance.mark('capillary:interactive'), 0));
  }, [screen, when]);
}

/** The screen's <h1>: focused when the screen opens, so keyboard and screen-reader users start there. */
export function Title({ children }: { children: ComponentChildren }) {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    if (document.body.dataset.navigated) ref.current?.focus();
    document.body.dataset.navigated = '1';
  }, []);
  return (
    <h1 ref={ref} tabIndex={-1}>
      {children}
    </h1>
  );
}

export function Field(props: {
  id: string;
  label: string;
  hint?: string;
  value: string;
  onInput: (value: string) => void;
  type?: 'text' | 'tel' | 'email';
  inputMode?: 'text' | 'tel' | 'numeric' | 'decimal';
  autoComplete?: string;
  required?: boolean;
  pattern?: string;
  maxLength?: number;
  invalid?: string | undefined;
}) {
  const described = [props.hint ? `${props.id}-hint` : '', props.invalid ? `${props.id}-error` : ''].filter(Boolean).join(' ') || undefined;
  return (
    <div class="field">
      <label for={props.id}>{props.label}</label>
      {props.hint && (
        <p class="hint" id={`${props.id}-hint`}>
          {props.hint}
        </p>
      )}
      <input
        id={props.id}
        name={props.id}
        // Preact's input types are a union per type; the value is one of the text-like types either way.
        type={(props.type ?? 'text') as 'text'}
        inputMode={props.inputMode}
        autoComplete={props.autoComplete}
        required={props.required}
        pattern={props.pattern}
        maxLength={props.maxLength}
        value={props.value}
        aria-invalid={props.invalid ? 'true' : undefined}
        aria-describedby={described}
        onInput={(e) => props.onInput((e.currentTarget as HTMLInputElement).value)}
      />
      {props.invalid && (
        <p class="field-error" id={`${props.id}-error`}>
          {props.invalid}
        </p>
      )}
    </div>
  );
}

export function describeError(err: unknown): string {
  if (err instanceof ApiError) return err.status === 0 ? t('network_error') : t('error', { detail: err.message });
  if (err instanceof Error) return t('error', { detail: err.message });
  return t('error', { detail: String(err) });
}

export function ErrorNote({ error }: { error: unknown }) {
  if (!error) return null;
  return (
    <p class="error" role="alert">
      {describeError(error)}
    </p>
  );
}

export function Money({ minor, currency, sign }: { minor: string; currency: string; sign?: '+' | '-' }) {
  return (
    <span class={`money${sign === '+' ? ' in' : sign === '-' ? ' out' : ''}`}>
      {sign === '+' ? '+' : sign === '-' ? '−' : ''}
      {formatMoney(minor, currency)}
    </span>
  );
}

export function OfflineNote({ offline }: { offline: boolean }) {
  if (!offline) return null;
  return (
    <p class="offline" role="status">
      {t('offline')}
    </p>
  );
}

export const formatDate = (iso: string): string =>
  new Date(iso).toLocaleString(document.documentElement.lang, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });

/**
 * The end of every confirmation step: the error, if any, then "confirm" and "edit" (or
 * "cancel"). Both are disabled while the request is in flight, so money is never sent twice
 * from one screen.
 */
export function ConfirmActions(props: { error: unknown; busy: boolean; onConfirm: () => void; onEdit: () => void; confirm: string; busyLabel: string; edit: string; confirmClass?: string }) {
  return (
    <>
      <ErrorNote error={props.error} />
      <button class={`primary${props.confirmClass ? ` ${props.confirmClass}` : ''}`} type="button" onClick={props.onConfirm} disabled={props.busy}>
        {props.busy ? props.busyLabel : props.confirm}
      </button>
      <button class="secondary" type="button" onClick={props.onEdit} disabled={props.busy}>
        {props.edit}
      </button>
    </>
  );
}

/** A labelled choice of the customer's own accounts, each shown with its available balance. */
export function AccountSelect(props: { id: string; label: string; accounts: readonly { id: string; nickname: string | null; currency: string; available_minor: string }[] | undefined; value: string; onChange: (id: string) => void; unnamed: string }) {
  return (
    <div class="field">
      <label for={props.id}>{props.label}</label>
      <select id={props.id} value={props.value} onChange={(e) => props.onChange((e.currentTarget as HTMLSelectElement).value)}>
        {props.accounts?.map((a) => (
          <option key={a.id} value={a.id}>
            {(a.nickname || props.unnamed) + ' · ' + formatMoney(a.available_minor, a.currency)}
          </option>
        ))}
      </select>
    </div>
  );
}
