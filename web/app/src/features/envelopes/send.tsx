/** Send a red envelope: lucky or equal, amount, number of shares, greeting; confirm; then its share screen. */
import { useEffect, useState } from 'preact/hooks';
import { api, type Account } from '../../api';
import { navigate } from '../../router';
import { formatMoney, parseAmount } from '../../money';
import { AccountSelect, ConfirmActions, ErrorNote, Field, Title, useReady } from '../../ui';
import { envelopesApi, type SendRequest } from './client';
import { say } from './text';

/** What the app offers (the API allows more; a phone screen of 10,000 names helps nobody). */
export const SHARES_MAX = 100;

type Draft = SendRequest & { account: Account; greeting: string };

export function SendEnvelope() {
  const [accounts, setAccounts] = useState<Account[]>();
  const [fromId, setFromId] = useState('');
  const [mode, setMode] = useState<'random' | 'equal'>('random');
  const [amount, setAmount] = useState('');
  const [count, setCount] = useState('3');
  const [greeting, setGreeting] = useState('');
  const [touched, setTouched] = useState(false);
  const [draft, setDraft] = useState<Draft>();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  useReady('envelopes-send', accounts !== undefined || error !== undefined);

  useEffect(() => {
    api.accounts().then(
      ({ items }) => {
        setAccounts(items);
        setFromId(items[0]?.id ?? '');
      },
      (err: unknown) => setError(err),
    );
  }, []);

  const account = accounts?.find((a) => a.id === fromId);
  const currency = account?.currency ?? 'CNY';
  const shares = /^\d{1,3}$/.test(count.trim()) ? Number(count.trim()) : NaN;
  const sharesOk = Number.isInteger(shares) && shares >= 1 && shares <= SHARES_MAX;
  const entered = parseAmount(amount, currency);
  // Lucky: the total is entered. Equal: the amount each, so the total always divides evenly.
  const total = entered && sharesOk ? (mode === 'equal' ? (BigInt(entered) * BigInt(shares)).toString() : entered) : undefined;
  const tooSmall = total !== undefined && mode === 'random' && BigInt(total) < BigInt(shares);

  function review(e: Event) {
    e.preventDefault();
    setTouched(true);
    if (!account || !total || !sharesOk || tooSmall) return;
    // One id per draft: confirming twice, or again after a network error, sends the same envelope once.
    setDraft({ id: crypto.randomUUID(), from_account_id: account.id, account, mode, total_amount_minor: total, share_count: shares, greeting: greeting.trim() || say('greeting_default') });
    setError(undefined);
  }

  async function confirm() {
    if (!draft) return;
    setBusy(true);
    setError(undefined);
    try {
      const sent = await envelopesApi.send({ id: draft.id, from_account_id: draft.from_account_id, mode: draft.mode, total_amount_minor: draft.total_amount_minor, share_count: draft.share_count, greeting: draft.greeting });
      navigate(`envelopes/${sent.id}`, true);
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  }

  if (draft) {
    return (
      <section class="screen" aria-live="polite">
        <Title>{say('confirm_title')}</Title>
        <div class="envelope-card closed small-card" aria-hidden="true">
          <span class="envelope-card-greeting">{draft.greeting}</span>
        </div>
        <dl class="summary">
          <div>
            <dt>{say('from_account')}</dt>
            <dd>{draft.account.nickname || say('current_account')}</dd>
          </div>
          <div>
            <dt>{say('mode')}</dt>
            <dd>{draft.mode === 'random' ? say('lucky') : say('equal')}</dd>
          </div>
          <div>
            <dt>{say('count')}</dt>
            <dd>{say('shares_of', { n: String(draft.share_count) })}</dd>
          </div>
          <div>
            <dt>{say('total', { currency: draft.account.currency })}</dt>
            <dd class="big-amount" data-testid="envelope-total">
              {formatMoney(draft.total_amount_minor, draft.account.currency)}
            </dd>
          </div>
          <div>
            <dt>{say('greeting')}</dt>
            <dd>{draft.greeting}</dd>
          </div>
        </dl>
        <ConfirmActions error={error} busy={busy} onConfirm={confirm} onEdit={() => setDraft(undefined)} confirm={say('confirm')} busyLabel={say('sending')} edit={say('edit')} confirmClass="envelope-confirm" />
      </section>
    );
  }

  return (
    <section class="screen">
      <Title>{say('send_new')}</Title>
      <ErrorNote error={error} />
      <form onSubmit={review} noValidate>
        <AccountSelect id="envelope_from" label={say('from_account')} accounts={accounts} value={fromId} onChange={setFromId} unnamed={say('current_account')} />
        <fieldset class="field">
          <legend>{say('mode')}</legend>
          <label class="choice">
            <input type="radio" name="envelope_mode" value="random" checked={mode === 'random'} onChange={() => setMode('random')} aria-describedby="mode-random-hint" />
            {say('lucky')}
          </label>
          <p class="hint" id="mode-random-hint">
            {say('lucky_hint')}
          </p>
          <label class="choice">
            <input type="radio" name="envelope_mode" value="equal" checked={mode === 'equal'} onChange={() => setMode('equal')} aria-describedby="mode-equal-hint" />
            {say('equal')}
          </label>
          <p class="hint" id="mode-equal-hint">
            {say('equal_hint')}
          </p>
        </fieldset>
        <Field
          id="envelope_amount"
          label={mode === 'equal' ? say('each', { currency }) : say('total', { currency })}
          inputMode="decimal"
          value={amount}
          onInput={setAmount}
          required
          invalid={touched && !entered ? say('amount_invalid') : touched && tooSmall ? say('too_small') : undefined}
        />
        <Field
          id="envelope_count"
          label={say('count')}
          inputMode="numeric"
          pattern="[0-9]*"
          value={count}
          onInput={setCount}
          required
          invalid={touched && !sharesOk ? say('count_invalid', { max: String(SHARES_MAX) }) : undefined}
        />
        <Field id="envelope_greeting" label={say('greeting')} hint={say('greeting_hint')} value={greeting} onInput={setGreeting} maxLength={100} />
        <button class="primary" type="submit" disabled={!accounts}>
          {say('review')}
        </button>
      </form>
    </section>
  );
}
