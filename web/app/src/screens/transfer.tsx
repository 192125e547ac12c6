/** A transfer to a mobile number or an account number: fill in, confirm, see the outcome. */
import { useEffect, useState } from 'preact/hooks';
import { api, type Account, type TransferResult, type TransferTo } from '../api';
import { t } from '../i18n';
import { navigate } from '../router';
import { formatMoney, parseAmount } from '../money';
import { AccountSelect, ConfirmActions, ErrorNote, Field, Title, useReady } from '../ui';

type Draft = { from: Account; to: TransferTo; recipient: string; amount_minor: string; note: string; id: string };

/**
 * A recipient handed over by another screen (payees, scan to pay) in the query string:
 * `?to_phone=<E.164>` or `?to_account=<uuid>`, with `name` and, from a pay code, `amount` (minor units).
 */
function handoverOf(search: string): { kind: 'phone' | 'account'; recipient: string; name: string; amount_minor?: string } | undefined {
  const q = new URLSearchParams(search);
  const phone = q.get('to_phone');
  const account = q.get('to_account');
  const name = (q.get('name') ?? '').slice(0, 80);
  const amount = q.get('amount');
  const amount_minor = amount && /^[1-9][0-9]{0,18}$/.test(amount) ? amount : undefined;
  if (phone && /^\+[1-9][0-9]{6,14}$/.test(phone)) return { kind: 'phone', recipient: phone, name, amount_minor };
  if (account && /^[0-9a-fA-F-]{36}$/.test(account)) return { kind: 'account', recipient: account, name, amount_minor };
  return undefined;
}

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
        const handed = handoverOf(location.search);
        if (!handed) return;
        setKind(handed.kind);
        setRecipient(handed.recipient);
        // With an amount (a merchant's pay code) the next step is the confirmation itself.
        if (handed.amount_minor && items[0]) {
          const to: TransferTo = handed.kind === 'phone' ? { phone: handed.recipient } : { account_id: handed.recipient };
          const recipientLabel = handed.name ? `${handed.name} (${handed.recipient})` : handed.recipient;
          setDraft({ from: items[0], to, recipient: recipientLabel, amount_minor: handed.amount_minor, note: '', id: crypto.randomUUID() });
        }
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
        <ConfirmActions error={error} busy={busy} onConfirm={confirm} onEdit={() => setDraft(undefined)} confirm={t('confirm')} busyLabel={t('sending')} edit={t('edit')} />
      </section>
    );
  }

  return (
    <section class="screen">
      <Title>{t('transfer')}</Title>
      <ErrorNote error={error} />
      <form onSubmit={review} noValidate>
        <AccountSelect id="from_account" label={t('from_account')} accounts={accounts} value={fromId} onChange={setFromId} unnamed={t('current_account')} />
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
