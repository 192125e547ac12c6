/**
 * Applying: (1) the loan — product, amount and term with the schedule it would have;
 * (2) the business; (3) check and apply. Then the decision: approved (rate, monthly payment,
 * the schedule, accept) or declined with the reasons, or referred to the bank.
 */
import { useEffect, useState } from 'preact/hooks';
import { api, type Account } from '../../api';
import { formatMoney, parseAmount, scaleOf } from '../../money';
import { navigate } from '../../router';
import { ErrorNote, Field, Title, useReady } from '../../ui';
import { loansApi, type Application, type LoanOffer } from './client';
import { ScheduleTable, Steps, formatDay } from './parts';
import { INDUSTRIES, PURPOSES, reasonText, say } from './text';

/** The loan the decision screen just opened, so the loan screen can say the money arrived. */
export const opened = { loan_id: '' };

interface Draft {
  product_id: string;
  amount: string;
  term: number;
  purpose: string;
  industry: string;
  months: string;
  revenue: string;
  debt: string;
  age: string;
}

const WHOLE = /^\s*\d{1,4}\s*$/;

export function Apply() {
  const [offers, setOffers] = useState<LoanOffer[]>();
  const [offer, setOffer] = useState<LoanOffer>();
  const [accounts, setAccounts] = useState<Account[]>();
  const [step, setStep] = useState<1 | 2 | 3>(1);
  const [d, setD] = useState<Draft>({ product_id: '', amount: '', term: 12, purpose: 'working_capital', industry: 'retail', months: '', revenue: '', debt: '0', age: '' });
  const [touched, setTouched] = useState(false);
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const [decided, setDecided] = useState<Application>();
  // One id per application attempt: submitting twice (or after a network error) is a safe retry.
  const [appId, setAppId] = useState(() => crypto.randomUUID());
  const set = (patch: Partial<Draft>) => setD((old) => ({ ...old, ...patch }));
  useReady(decided ? 'loans-decision' : `loans-apply-${step}`, offers !== undefined);

  useEffect(() => {
    Promise.all([loansApi.offers(), api.accounts()]).then(([{ items }, a]) => {
      setOffers(items);
      setAccounts(a.items);
      const first = items[0];
      if (first) {
        const minMajor = BigInt(first.product.amount_min_minor) / 10n ** BigInt(scaleOf(first.product.currency));
        set({ product_id: first.product.id, amount: String(minMajor * 10n), term: Math.min(Math.max(12, first.product.term_min_months), first.product.term_max_months) });
      }
    }, setError);
  }, []);

  const product = offers?.find((o) => o.product.id === d.product_id)?.product;
  const currency = product?.currency ?? 'CNY';
  const amountMinor = parseAmount(d.amount, currency);
  const inRange = !!product && !!amountMinor && BigInt(amountMinor) >= BigInt(product.amount_min_minor) && BigInt(amountMinor) <= BigInt(product.amount_max_minor);

  // The schedule for the amount and term, from the server (the lending core's own arithmetic).
  useEffect(() => {
    if (!product || !amountMinor || !inRange) return setOffer(undefined);
    let live = true;
    const timer = setTimeout(() => {
      loansApi.offers(amountMinor, d.term).then(({ items }) => live && setOffer(items.find((o) => o.product.id === product.id)), (err: unknown) => live && setError(err));
    }, 250);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [product?.id, amountMinor, d.term]);

  const revenueMinor = d.revenue.trim() === '' ? undefined : parseAmount(d.revenue, currency);
  const debtMinor = d.debt.trim() === '0' ? '0' : parseAmount(d.debt, currency);
  const ageOk = d.age.trim() === '' || (WHOLE.test(d.age) && Number(d.age) >= 16 && Number(d.age) <= 120);
  const businessOk = WHOLE.test(d.months) && !!revenueMinor && debtMinor !== undefined && ageOk;
  const account = accounts?.find((a) => a.currency === currency) ?? accounts?.[0];

  async function submit() {
    if (!product || !amountMinor || !revenueMinor || debtMinor === undefined) return;
    setBusy(true);
    setError(undefined);
    try {
      const answer = await loansApi.apply({
        id: appId,
        product_id: product.id,
        amount_minor: amountMinor,
        term_months: d.term,
        purpose: d.purpose,
        ...(account ? { account_id: account.id } : {}),
        business: {
          industry: d.industry,
          months_trading: Number(d.months),
          annual_revenue_minor: revenueMinor,
          existing_debt_minor: debtMinor,
          ...(d.age.trim() ? { owner_age: Number(d.age) } : {}),
        },
      });
      setDecided(answer);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  if (decided) return <Decision application={decided} currency={currency} />;

  if (offers && offers.length === 0) {
    return (
      <section class="screen">
        <Title>{say('apply_new')}</Title>
        <p>{say('no_products')}</p>
      </section>
    );
  }

  if (step === 1) {
    const min = product ? formatMoney(product.amount_min_minor, currency) : '';
    const max = product ? formatMoney(product.amount_max_minor, currency) : '';
    const terms = product ? Array.from({ length: product.term_max_months - product.term_min_months + 1 }, (_, i) => product.term_min_months + i) : [];
    return (
      <section class="screen">
        <Title>{say('offer_title')}</Title>
        <Steps n={1} />
        <ErrorNote error={error} />
        <form
          noValidate
          onSubmit={(e) => {
            e.preventDefault();
            setTouched(true);
            if (inRange) {
              setTouched(false);
              setStep(2);
            }
          }}
        >
          <div class="field">
            <label for="loan_product">{say('product')}</label>
            <select id="loan_product" value={d.product_id} onChange={(e) => set({ product_id: (e.currentTarget as HTMLSelectElement).value })}>
              {offers?.map((o) => (
                <option key={o.product.id} value={o.product.id}>
                  {o.product.name} · {say('rate_from', { rate: o.product.annual_rate_percent })}
                </option>
              ))}
            </select>
          </div>
          <Field
            id="loan_amount"
            label={say('amount', { currency })}
            hint={say('amount_hint', { min, max })}
            inputMode="decimal"
            value={d.amount}
            onInput={(amount) => set({ amount })}
            required
            invalid={touched && !inRange ? say('amount_invalid', { min, max }) : undefined}
          />
          <div class="field">
            <label for="loan_term">{say('term')}</label>
            <select id="loan_term" value={String(d.term)} onChange={(e) => set({ term: Number((e.currentTarget as HTMLSelectElement).value) })}>
              {terms.map((n) => (
                <option key={n} value={String(n)}>
                  {say('months', { n: String(n) })}
                </option>
              ))}
            </select>
          </div>
          <div aria-live="polite">
            {offer?.schedule && offer.monthly_payment_minor && (
              <div class="card loan-preview" data-testid="loan-preview">
                <dl class="figures">
                  <div>
                    <dt>{say('monthly_payment')}</dt>
                    <dd class="big-amount">{formatMoney(offer.monthly_payment_minor, currency)}</dd>
                  </div>
                  <div>
                    <dt>{say('total_interest')}</dt>
                    <dd>{formatMoney(offer.schedule.totals.interest, currency)}</dd>
                  </div>
                </dl>
                <p class="note">{say('indicative')}</p>
                <details>
                  <summary>{say('show_schedule')}</summary>
                  <ScheduleTable schedule={offer.schedule} currency={currency} id="preview-schedule" />
                </details>
              </div>
            )}
          </div>
          <button class="primary" type="submit" disabled={!offers}>
            {say('next')}
          </button>
        </form>
      </section>
    );
  }

  if (step === 2) {
    return (
      <section class="screen">
        <Title>{say('business_title')}</Title>
        <Steps n={2} />
        <form
          noValidate
          onSubmit={(e) => {
            e.preventDefault();
            setTouched(true);
            if (businessOk) {
              setTouched(false);
              setStep(3);
            }
          }}
        >
          <div class="field">
            <label for="loan_purpose">{say('purpose')}</label>
            <select id="loan_purpose" value={d.purpose} onChange={(e) => set({ purpose: (e.currentTarget as HTMLSelectElement).value })}>
              {PURPOSES.map((p) => (
                <option key={p} value={p}>
                  {say(p)}
                </option>
              ))}
            </select>
          </div>
          <div class="field">
            <label for="loan_industry">{say('industry')}</label>
            <select id="loan_industry" value={d.industry} onChange={(e) => set({ industry: (e.currentTarget as HTMLSelectElement).value })}>
              {INDUSTRIES.map((p) => (
                <option key={p} value={p}>
                  {say(p)}
                </option>
              ))}
            </select>
          </div>
          <Field id="loan_months" label={say('months_trading')} inputMode="numeric" value={d.months} onInput={(months) => set({ months })} required invalid={touched && !WHOLE.test(d.months) ? say('months_invalid') : undefined} />
          <Field id="loan_revenue" label={say('revenue', { currency })} inputMode="decimal" value={d.revenue} onInput={(revenue) => set({ revenue })} required invalid={touched && !revenueMinor ? say('money_invalid') : undefined} />
          <Field id="loan_debt" label={say('debt', { currency })} inputMode="decimal" value={d.debt} onInput={(debt) => set({ debt })} required invalid={touched && debtMinor === undefined ? say('money_invalid') : undefined} />
          <Field id="loan_age" label={say('owner_age')} inputMode="numeric" value={d.age} onInput={(age) => set({ age })} invalid={touched && !ageOk ? say('age_invalid') : undefined} />
          <button class="primary" type="submit">
            {say('next')}
          </button>
          <button class="secondary" type="button" onClick={() => setStep(1)}>
            {say('back')}
          </button>
        </form>
      </section>
    );
  }

  return (
    <section class="screen" aria-live="polite">
      <Title>{say('confirm_title')}</Title>
      <Steps n={3} />
      <dl class="summary">
        <div>
          <dt>{say('product')}</dt>
          <dd>{product?.name}</dd>
        </div>
        <div>
          <dt>{say('amount', { currency })}</dt>
          <dd class="big-amount">{amountMinor ? formatMoney(amountMinor, currency) : ''}</dd>
        </div>
        <div>
          <dt>{say('term')}</dt>
          <dd>{say('months', { n: String(d.term) })}</dd>
        </div>
        {offer?.monthly_payment_minor && (
          <div>
            <dt>{say('monthly_payment')}</dt>
            <dd>{formatMoney(offer.monthly_payment_minor, currency)}</dd>
          </div>
        )}
        <div>
          <dt>{say('purpose')}</dt>
          <dd>{say(d.purpose as (typeof PURPOSES)[number])}</dd>
        </div>
        <div>
          <dt>{say('industry')}</dt>
          <dd>{say(d.industry as (typeof INDUSTRIES)[number])}</dd>
        </div>
        <div>
          <dt>{say('months_trading')}</dt>
          <dd>{d.months.trim()}</dd>
        </div>
        <div>
          <dt>{say('revenue', { currency })}</dt>
          <dd>{revenueMinor ? formatMoney(revenueMinor, currency) : ''}</dd>
        </div>
        {account && (
          <div>
            <dt>{say('pay_into')}</dt>
            <dd>{account.nickname || account.id}</dd>
          </div>
        )}
      </dl>
      <p class="note">{say('confirm_note')}</p>
      <ErrorNote error={error} />
      <button class="primary" type="button" onClick={submit} disabled={busy}>
        {busy ? say('submitting') : say('submit')}
      </button>
      <button
        class="secondary"
        type="button"
        disabled={busy}
        onClick={() => {
          setAppId(crypto.randomUUID());
          setStep(1);
        }}
      >
        {say('edit')}
      </button>
    </section>
  );
}

/** The decision: approved with the offer (accept it), declined with the reasons, or referred. */
export function Decision({ application: a, currency }: { application: Application; currency: string }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  useReady('loans-decision');

  async function accept() {
    setBusy(true);
    setError(undefined);
    try {
      const loan = await loansApi.accept(a.id);
      opened.loan_id = loan.id;
      navigate(`loans/${loan.id}`);
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  }

  if (a.status === 'approved' && a.offer) {
    const o = a.offer;
    return (
      <section class="screen" data-decision="approved">
        <Title>{say('approved')}</Title>
        {o.reduced_from_minor && <p class="note">{say('reduced', { asked: formatMoney(o.reduced_from_minor, currency), amount: formatMoney(o.amount_minor, currency) })}</p>}
        <dl class="summary">
          <div>
            <dt>{say('amount', { currency })}</dt>
            <dd class="big-amount">{formatMoney(o.amount_minor, currency)}</dd>
          </div>
          <div>
            <dt>{say('rate')}</dt>
            <dd data-testid="offer-rate">{say('rate_value', { rate: o.annual_rate_percent })}</dd>
          </div>
          <div>
            <dt>{say('monthly_payment')}</dt>
            <dd data-testid="offer-payment">{formatMoney(o.monthly_payment_minor, currency)}</dd>
          </div>
          <div>
            <dt>{say('term')}</dt>
            <dd>{say('months', { n: String(o.term_months) })}</dd>
          </div>
          <div>
            <dt>{say('total_repayable')}</dt>
            <dd>{formatMoney(o.total_repayable_minor, currency)}</dd>
          </div>
          {o.origination_fee_minor !== '0' && (
            <div>
              <dt>{say('fee')}</dt>
              <dd>{formatMoney(o.origination_fee_minor, currency)}</dd>
            </div>
          )}
        </dl>
        {o.expires_at && <p class="note">{say('approved_note', { date: formatDay(o.expires_at.slice(0, 10)) })}</p>}
        <details>
          <summary>{say('show_schedule')}</summary>
          <ScheduleTable schedule={o.schedule} currency={currency} id="offer-schedule" />
        </details>
        <ErrorNote error={error} />
        <button class="primary" type="button" onClick={accept} disabled={busy}>
          {busy ? say('accepting') : say('accept', { amount: formatMoney(o.amount_minor, currency) })}
        </button>
        <button class="secondary" type="button" onClick={() => navigate('loans')} disabled={busy}>
          {say('back')}
        </button>
      </section>
    );
  }

  const declined = a.status === 'declined';
  return (
    <section class="screen" data-decision={a.status}>
      <Title>{declined ? say('declined') : a.status === 'referred' ? say('referred') : say(`app_${a.status}` as 'app_expired')}</Title>
      {declined && <p>{say('declined_note')}</p>}
      {a.status === 'referred' && <p>{say('referred_note')}</p>}
      {a.reasons.length > 0 && (
        <ul class="loan-reasons">
          {a.reasons.map((r, i) => (
            <li key={`${r.code}-${i}`} data-reason={r.code}>
              {reasonText(r.code, r.detail)}
            </li>
          ))}
        </ul>
      )}
      <button class="secondary" type="button" onClick={() => navigate('loans')}>
        {say('back')}
      </button>
    </section>
  );
}
