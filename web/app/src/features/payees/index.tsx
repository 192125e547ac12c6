/**
 * Payees: the people and accounts this customer pays often (GET/POST/DELETE /v1/me/payees).
 * "Pay" hands the payee over to the transfer screen, which asks for the amount and confirms.
 */
import { useEffect, useState } from 'preact/hooks';
import { textOf } from '../../features';
import { BASE, route } from '../../router';
import { ErrorNote, Field, Title, useReady } from '../../ui';
import { payees, type Payee } from './request';

const say = textOf({
  en: {
    title: 'Payees',
    intro: 'People and accounts you pay often. Pay one in two taps.',
    none: 'No payees yet. Add one below.',
    pay: 'Pay',
    pay_named: 'Pay {name}',
    remove: 'Delete',
    remove_named: 'Delete {name}',
    confirm_remove: 'Delete {name} from your payees?',
    add_title: 'Add a payee',
    name: 'Name',
    by: 'Paid by',
    by_phone: 'Mobile number',
    by_account: 'Account number',
    phone: 'Mobile number',
    phone_hint: 'International format, e.g. +8613800000001',
    account: 'Account number',
    account_hint: 'The 36-character account number, e.g. from their pay code',
    save: 'Save payee',
    saving: 'Saving…',
    saved: '{name} saved.',
    removed: '{name} deleted.',
    name_invalid: 'Enter a name (up to 80 characters).',
    phone_invalid: 'Enter a mobile number such as +8613800000001.',
    account_invalid: 'Enter a 36-character account number.',
    account_unknown: 'No account has this number.',
    list: 'Your payees',
  },
  zh: {
    title: '收款人',
    intro: '常用的收款人和账户，两步即可付款。',
    none: '还没有收款人，请在下方添加。',
    pay: '付款',
    pay_named: '向{name}付款',
    remove: '删除',
    remove_named: '删除{name}',
    confirm_remove: '从收款人中删除{name}？',
    add_title: '添加收款人',
    name: '姓名',
    by: '收款方式',
    by_phone: '手机号码',
    by_account: '账号',
    phone: '手机号码',
    phone_hint: '国际格式，例如 +8613800000001',
    account: '账号',
    account_hint: '36 位账号，例如对方收款码中的账号',
    save: '保存收款人',
    saving: '正在保存…',
    saved: '已保存{name}。',
    removed: '已删除{name}。',
    name_invalid: '请输入姓名（最多 80 个字符）。',
    phone_invalid: '请输入手机号码，例如 +8613800000001。',
    account_invalid: '请输入 36 位账号。',
    account_unknown: '没有这个账号。',
    list: '我的收款人',
  },
});

const E164 = /^\+[1-9][0-9]{6,14}$/;
const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

/** The transfer screen, with this payee as the recipient (it reads the query on open). */
function payTo(p: Payee): void {
  const q = new URLSearchParams(p.phone ? { to_phone: p.phone } : { to_account: p.account_id ?? '' });
  q.set('name', p.name);
  history.pushState(null, '', `${BASE}transfer?${q.toString()}`);
  route.set('transfer');
  window.scrollTo(0, 0);
}

export function Screen(_: { path: string }) {
  const [items, setItems] = useState<Payee[]>();
  const [error, setError] = useState<unknown>();
  const [status, setStatus] = useState('');
  useReady('payees', items !== undefined || error !== undefined);

  const load = () =>
    payees.list().then(
      ({ items }) => setItems(items),
      (err: unknown) => setError(err),
    );
  useEffect(() => {
    void load();
  }, []);

  async function remove(p: Payee) {
    if (!window.confirm(say('confirm_remove', { name: p.name }))) return;
    setError(undefined);
    try {
      await payees.remove(p.id);
      setItems((list) => list?.filter((x) => x.id !== p.id));
      setStatus(say('removed', { name: p.name }));
    } catch (err) {
      setError(err);
    }
  }

  return (
    <section class="screen">
      <Title>{say('title')}</Title>
      <p class="note">{say('intro')}</p>
      <p class="visually-hidden" role="status" aria-live="polite">
        {status}
      </p>
      <ErrorNote error={error} />
      <h2>{say('list')}</h2>
      {items && items.length === 0 && <p class="note">{say('none')}</p>}
      {items && items.length > 0 && (
        <ul class="cards" data-testid="payees">
          {items.map((p) => (
            <li key={p.id} class="card" data-payee={p.name}>
              <p class="tx-name">{p.name}</p>
              <p class="account-id">{p.phone ?? p.account_id}</p>
              <div class="card-actions">
                <button type="button" class="primary small" aria-label={say('pay_named', { name: p.name })} onClick={() => payTo(p)}>
                  {say('pay')}
                </button>
                <button type="button" class="secondary small" aria-label={say('remove_named', { name: p.name })} onClick={() => remove(p)}>
                  {say('remove')}
                </button>
              </div>
            </li>
          ))}
        </ul>
      )}
      <AddPayee
        onAdded={(p) => {
          setItems((list) => [...(list ?? []), p]);
          setStatus(say('saved', { name: p.name }));
        }}
      />
    </section>
  );
}

function AddPayee({ onAdded }: { onAdded: (p: Payee) => void }) {
  const [name, setName] = useState('');
  const [kind, setKind] = useState<'phone' | 'account'>('phone');
  const [value, setValue] = useState('');
  const [touched, setTouched] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const [unknownAccount, setUnknownAccount] = useState(false);

  const nameOk = name.trim().length > 0 && name.trim().length <= 80;
  const valueOk = kind === 'phone' ? E164.test(value.trim()) : UUID.test(value.trim());

  async function submit(e: Event) {
    e.preventDefault();
    setTouched(true);
    setUnknownAccount(false);
    if (!nameOk || !valueOk) return;
    setBusy(true);
    setError(undefined);
    try {
      const p = await payees.add({ name: name.trim(), ...(kind === 'phone' ? { phone: value.trim() } : { account_id: value.trim() }) });
      onAdded(p);
      setName('');
      setValue('');
      setTouched(false);
    } catch (err) {
      if ((err as { code?: string }).code === 'recipient_not_found') setUnknownAccount(true);
      else setError(err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <form onSubmit={submit} noValidate aria-labelledby="add-payee-title">
      <h2 id="add-payee-title">{say('add_title')}</h2>
      <ErrorNote error={error} />
      <Field id="payee_name" label={say('name')} value={name} onInput={setName} maxLength={80} required autoComplete="off" invalid={touched && !nameOk ? say('name_invalid') : undefined} />
      <fieldset class="field">
        <legend>{say('by')}</legend>
        <label class="choice">
          <input type="radio" name="payee_kind" value="phone" checked={kind === 'phone'} onChange={() => setKind('phone')} /> {say('by_phone')}
        </label>
        <label class="choice">
          <input type="radio" name="payee_kind" value="account" checked={kind === 'account'} onChange={() => setKind('account')} /> {say('by_account')}
        </label>
      </fieldset>
      <Field
        id="payee_value"
        label={kind === 'phone' ? say('phone') : say('account')}
        hint={kind === 'phone' ? say('phone_hint') : say('account_hint')}
        type={kind === 'phone' ? 'tel' : 'text'}
        inputMode={kind === 'phone' ? 'tel' : 'text'}
        value={value}
        onInput={setValue}
        required
        invalid={unknownAccount ? say('account_unknown') : touched && !valueOk ? (kind === 'phone' ? say('phone_invalid') : say('account_invalid')) : undefined}
      />
      <button type="submit" class="primary" disabled={busy}>
        {busy ? say('saving') : say('save')}
      </button>
    </form>
  );
}
