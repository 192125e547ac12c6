/**
 * The bank's sheets: drawn by the host over the whole screen (the mini-program's frame is
 * inert beneath), so a mini-program can ask but never draw or press what the customer confirms.
 */
import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import type { Account } from '../../api';
import { formatMoney } from '../../money';
import { ErrorNote } from '../../ui';
import type { PaymentParams } from './bridge';
import type { MiniProgramItem } from './client';
import { say } from './text';

function Sheet({ title, onCancel, children }: { title: string; onCancel: () => void; children: ComponentChildren }) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const previous = document.activeElement as HTMLElement | null;
    ref.current?.querySelector<HTMLElement>('h2')?.focus();
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') onCancel();
    };
    addEventListener('keydown', onKey);
    return () => {
      removeEventListener('keydown', onKey);
      previous?.focus?.();
    };
  }, []);
  return (
    <div class="mp-backdrop">
      <div class="mp-sheet" role="dialog" aria-modal="true" aria-labelledby="mp-sheet-title" ref={ref} data-bank-sheet>
        <p class="mp-bank">{say('bank_sheet')}</p>
        <h2 id="mp-sheet-title" tabIndex={-1}>
          {title}
        </h2>
        {children}
      </div>
    </div>
  );
}

const accountLabel = (a: Account) => say('account_label', { name: a.nickname ?? say('main_account'), currency: a.currency, amount: formatMoney(a.available_minor, a.currency) });

export function PaymentSheet(props: {
  program: MiniProgramItem;
  params: PaymentParams;
  accounts: Account[];
  busy: boolean;
  error: unknown;
  onConfirm: (account_id: string) => void;
  onCancel: () => void;
}) {
  const usable = props.accounts.filter((a) => a.currency === props.params.currency);
  const [from, setFrom] = useState(usable[0]?.id ?? '');
  const amount = formatMoney(props.params.amount_minor, props.params.currency);
  return (
    <Sheet title={say('pay_title')} onCancel={props.onCancel}>
      <p class="big-amount" data-testid="sheet-amount">
        {amount}
      </p>
      <dl class="summary">
        <div>
          <dt>{say('pay_to')}</dt>
          <dd data-testid="sheet-payee">{props.program.partner_name}</dd>
          <dd class="note">{say('pay_via', { name: props.program.name })}</dd>
        </div>
        <div>
          <dt>{say('pay_reference')}</dt>
          <dd>{props.params.reference}</dd>
        </div>
        {props.params.payee && (
          <div>
            <dt>{say('pay_described')}</dt>
            <dd>{props.params.payee}</dd>
          </div>
        )}
      </dl>
      {usable.length === 0 ? (
        <p class="error">{say('no_account', { currency: props.params.currency })}</p>
      ) : (
        <div class="field">
          <label for="mp-from">{say('pay_from')}</label>
          <select id="mp-from" value={from} onChange={(e) => setFrom((e.currentTarget as HTMLSelectElement).value)}>
            {usable.map((a) => (
              <option key={a.id} value={a.id}>
                {accountLabel(a)}
              </option>
            ))}
          </select>
        </div>
      )}
      <ErrorNote error={props.error} />
      <div class="mp-actions">
        <button type="button" class="primary" disabled={props.busy || usable.length === 0} onClick={() => props.onConfirm(from)}>
          {props.busy ? say('paying') : say('pay_confirm', { amount })}
        </button>
        <button type="button" class="secondary" disabled={props.busy} onClick={props.onCancel}>
          {say('cancel')}
        </button>
      </div>
    </Sheet>
  );
}

export function AuthSheet(props: {
  program: MiniProgramItem;
  scope: 'accounts' | 'funds_confirmation';
  accounts: Account[];
  busy: boolean;
  error: unknown;
  onAllow: (account_ids: string[]) => void;
  onDeny: () => void;
}) {
  const [chosen, setChosen] = useState<string[]>(props.accounts.slice(0, 1).map((a) => a.id));
  const [missing, setMissing] = useState(false);
  const toggle = (id: string, on: boolean) => setChosen((c) => (on ? [...c, id] : c.filter((x) => x !== id)));
  return (
    <Sheet title={say('auth_title')} onCancel={props.onDeny}>
      <p>{say('auth_asks', { partner: props.program.partner_name, name: props.program.name })}</p>
      <ul>
        <li>{props.scope === 'accounts' ? say('auth_accounts') : say('auth_funds')}</li>
      </ul>
      <p class="note">{say('auth_expiry')}</p>
      <fieldset class="field">
        <legend>{say('auth_choose')}</legend>
        {props.accounts.map((a) => (
          <label class="choice" key={a.id}>
            <input type="checkbox" checked={chosen.includes(a.id)} onChange={(e) => toggle(a.id, (e.currentTarget as HTMLInputElement).checked)} />
            {accountLabel(a)}
          </label>
        ))}
      </fieldset>
      {missing && <p class="field-error">{say('auth_none')}</p>}
      <ErrorNote error={props.error} />
      <div class="mp-actions">
        <button
          type="button"
          class="primary"
          disabled={props.busy}
          onClick={() => {
            setMissing(chosen.length === 0);
            if (chosen.length > 0) props.onAllow(chosen);
          }}
        >
          {say('auth_allow')}
        </button>
        <button type="button" class="secondary" disabled={props.busy} onClick={props.onDeny}>
          {say('auth_deny')}
        </button>
      </div>
    </Sheet>
  );
}

export function LocationSheet(props: { program: MiniProgramItem; onAllow: () => void; onDeny: () => void }) {
  return (
    <Sheet title={say('loc_title')} onCancel={props.onDeny}>
      <p>{say('loc_asks', { name: props.program.name })}</p>
      <div class="mp-actions">
        <button type="button" class="primary" onClick={props.onAllow}>
          {say('loc_allow')}
        </button>
        <button type="button" class="secondary" onClick={props.onDeny}>
          {say('loc_deny')}
        </button>
      </div>
    </Sheet>
  );
}
