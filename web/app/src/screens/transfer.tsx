/** A transfer to a mobile number or an account number: fill in, confirm, see the outcome. */
import { useEffect, useState } from 'preact/hooks';
import { api, type Account, type TransferResult, type TransferTo } from '../api';
import { t } from '../i18n';
import { navigate } from '../router';
import { formatMoney, parseAmount } from '../money';
import { ErrorNote, Field, Title, useReady } from '../ui';

type Draft = { from: Account; to: TransferTo; recipient: string; amount_minor: string; note: string; id: string };

export function Transfer() {
  const [accounts, setAccounts] = useState<Account[]>();
  const [fromId, setFromId] = useState('');
  const [kind, setKind] = useState<'phone' | 'account'>('phone');
  const [recipient, setRecipient] = useState('');
  const [amount, setAmount] = useState('');
  const [note, setNote] = useState('');
  const [draft, setDraft] = useState<Draft>();
  const [result, setResult] = useState<TransferResult>();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const [touched, setTouched] = useState(false);
  useReady('transfer', accounts !== undefined);

  useEffect(() => {
    api.accounts().then(
      ({ items }) => {
        setAccounts(items);
        setFromId(items[0]?.id ?? '');
      },
      (err: unknown) => setError(err),
    );
  }, []);

  const from = accounts?.find((a) => a.id === fromId);
  const currency = from?.currency ?? 'CNY';
  const amountMinor = parseAmount(amount, currency);

  function review(e: Event) {
    e.preventDefault();
    setTouched(true);
    if (!from || !amountMinor || !recipient.trim()) return;
    const to: TransferTo = kind === 'phone' ? { phone: recipient.trim() } : { account_id: recipient.trim() };
    // The id is chosen once per draft: pressing confirm twice (or retrying after a network
    // error) sends the same id, and the server answers the first result again.
    setDraft({ from, to, recipient: recipient.trim(), amount_minor: amountMinor, note: note.trim(), id: crypto.randomUUID() });
    setError(undefined);
  }

  async function confirm() {
    if (!draft) return;
    setBusy(true);
    setError(undefined);
    try {
      const answer = await api.transfer({
        id: draft.id,
        from_account_id: draft.from.id,
        to: draft.to,
        amount_minor: draft.amount_minor,
        currency: draft.from.currency,
        ...(draft.note ? { note: draft.note } : {}),
      });
      setResult(answer);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  if (result && draft) {
    const title = result.status === 'completed' ? t('sent') : result.status === 'pending' ? t('transfer_pending') : t('transfer_rejected');
    return (
      <section class="screen" data-transfer-status={result.status}>
        <Title>{title}</Title>
        <p class="big-amount">{formatMoney(result.amount_minor, result.currency)}</p>
        <p>
          {t('to')}: {result.to_name || draft.recipient}
        </p>
        {result.reason_code && <p class="note">{result.reason_code}</p>}
        <button class="primary" type="button" onClick={() => navigate('home')}>
          {t('transfer_done')}
        </button>
        <button
          class="link"
          type="button"
          onClick={() => {
            setResult(undefined);
            setDraft(undefined);
            setAmount('');
            setRecipient('');
            setNote('');
          }}
        >
          {t('new_transfer')}
        </button>
      </section>
    );
  }

  if (draft) {
    return (
      <section class="screen" aria-live="polite">
        <Title>{t('confirm_title')}</Title>
        <dl class="summary">
          <div>
            <dt>{t('from_account')}</dt>
            <dd>{draft.from.nickname || t('current_account')}</dd>
          </div>
          <div>
            <dt>{t('to')}</dt>
            <dd>{draft.recipient}</dd>
          </div>
          <div>
            <dt>{t('amount', { currency: draft.from.currency })}</dt>
            <dd class="big-amount">{formatMoney(draft.amount_minor, draft.from.currency)}</dd>
          </div>
          {draft.note && (
            <div>
              <dt>{t('note')}</dt>
              <dd>{draft.note}</dd>
            </div>
          )}
        </dl>
        <ErrorNote error={error} />
        <button class="primary" type="button" onClick={confirm} disabled={busy}>
          {busy ? t('sending') : t('confirm')}
        </button>
        <button class="secondary" type="button" onClick={() => setDraft(undefined)} disabled={busy}>
          {t('edit')}
        </button>
      </section>
    );
  }

  return (
    <section class="screen">
      <Title>{t('transfer')}</Title>
      <ErrorNote error={error} />
      <form onSubmit={review} noValidate>
        <div class="field">
          <label for="from_account">{t('from_account')}</label>
          <select id="from_account" value={fromId} onChange={(e) => setFromId((e.currentTarget as HTMLSelectElement).value)}>
            {accounts?.map((a) => (
              <option key={a.id} value={a.id}>
                {(a.nickname || t('current_account')) + ' · ' + formatMoney(a.available_minor, a.currency)}
              </option>
            ))}
          </select>
        </div>
        <fieldset class="field">
          <legend>{t('to')}</legend>
          <label class="choice">
            <input type="radio" name="to_kind" value="phone" checked={kind === 'phone'} onChange={() => setKind('phone')} /> {t('to_phone')}
          </label>
          <label class="choice">
            <input type="radio" name="to_kind" value="account" checked={kind === 'account'} onChange={() => setKind('account')} /> {t('to_account')}
          </label>
        </fieldset>
        <Field
          id="recipient"
          label={kind === 'phone' ? t('recipient_phone') : t('recipient_account')}
          hint={kind === 'phone' ? t('phone_hint') : undefined}
          type={kind === 'phone' ? 'tel' : 'text'}
          inputMode={kind === 'phone' ? 'tel' : 'text'}
          value={recipient}
          onInput={setRecipient}
          required
          invalid={touched && !recipient.trim() ? t('recipient_invalid') : undefined}
        />
        <Field
          id="amount"
          label={t('amount', { currency })}
          inputMode="decimal"
          value={amount}
          onInput={setAmount}
          required
          invalid={touched && !amountMinor ? t('amount_invalid') : undefined}
        />
        <Field id="note" label={t('note')} value={note} onInput={setNote} maxLength={140} />
        <button class="primary" type="submit" disabled={!accounts}>
          {t('review')}
        </button>
      </form>
    </section>
  );
}
