/** One loan: what is owed, the next payment, the schedule (paid, due, overdue), the repayments, and repaying with a confirmation. */
import { useEffect, useState } from 'preact/hooks';
import { formatMoney, parseAmount, scaleOf } from '../../money';
import { navigate } from '../../router';
import { ConfirmActions, ErrorNote, Field, Title, useReady } from '../../ui';
import { loansApi, type LoanDetail } from './client';
import { opened } from './apply';
import { Chip, formatDay } from './parts';
import { say } from './text';

export function LoanScreen({ id }: { id: string }) {
  const [loan, setLoan] = useState<LoanDetail>();
  const [error, setError] = useState<unknown>();
  const [repaying, setRepaying] = useState(false);
  const [justOpened] = useState(() => opened.loan_id === id);
  const [repaid, setRepaid] = useState<string>();
  useReady('loan', loan !== undefined);

  useEffect(() => {
    opened.loan_id = '';
    loansApi.loan(id).then(setLoan, setError);
  }, [id]);

  if (!loan) {
    return (
      <section class="screen">
        <Title>{say('loan_title')}</Title>
        {error ? <ErrorNote error={error} /> : <p aria-busy="true">…</p>}
      </section>
    );
  }
  const c = loan.currency;
  if (repaying) {
    return (
      <Repay
        loan={loan}
        onDone={(next, amount) => {
          setLoan(next);
          setRepaid(amount);
          setRepaying(false);
        }}
        onCancel={() => setRepaying(false)}
      />
    );
  }
  return (
    <section class="screen" data-loan-id={loan.id} data-loan-status={loan.status}>
      <Title>{loan.product_name}</Title>
      {justOpened && (
        <p class="loan-banner" role="status">
          {say('accepted')}: {formatMoney(loan.principal_minor, c)}
        </p>
      )}
      {repaid && (
        <p class="loan-banner" role="status">
          {say('repaid', { amount: formatMoney(repaid, c) })}
        </p>
      )}
      <div class="card">
        <p class="card-title">
          {say('outstanding')} <Chip status={loan.status} prefix="status" />
        </p>
        <p class="balance" data-testid="loan-outstanding">
          {formatMoney(loan.outstanding.total_minor, c)}
        </p>
        <dl class="figures">
          <div>
            <dt>{say('principal')}</dt>
            <dd>{formatMoney(loan.principal_minor, c)}</dd>
          </div>
          <div>
            <dt>{say('rate')}</dt>
            <dd>{say('rate_value', { rate: loan.annual_rate_percent })}</dd>
          </div>
          <div>
            <dt>{say('term')}</dt>
            <dd>{say('months', { n: String(loan.term_months) })}</dd>
          </div>
        </dl>
      </div>
      <div class="card" data-testid="loan-next">
        <p class="card-title">{say('next_payment')}</p>
        {loan.next_payment ? (
          <>
            <p class="big-amount">{formatMoney(loan.next_payment.amount_minor, c)}</p>
            <p>
              {say('due_on', { date: formatDay(loan.next_payment.due_date) })} {loan.next_payment.overdue && <Chip status="overdue" prefix="sched" />}
            </p>
            <div class="card-actions">
              <button class="primary" type="button" onClick={() => setRepaying(true)}>
                {say('repay')}
              </button>
            </div>
          </>
        ) : (
          <p>{say('no_next')}</p>
        )}
      </div>
      <h2>{say('schedule')}</h2>
      <div class="loan-table-wrap">
        <table class="statement loan-schedule" data-testid="loan-schedule">
          <caption class="visually-hidden">{say('schedule')}</caption>
          <thead>
            <tr>
              <th scope="col">{say('col_no')}</th>
              <th scope="col">{say('col_due')}</th>
              <th scope="col" class="num">
                {say('col_payment')}
              </th>
              <th scope="col" class="num">
                {say('col_paid')}
              </th>
              <th scope="col">{say('col_status')}</th>
            </tr>
          </thead>
          <tbody>
            {loan.schedule.map((r) => (
              <tr key={`${r.number}-${r.due_date}`} data-status={r.status}>
                <td>{r.number}</td>
                <td>{formatDay(r.due_date)}</td>
                <td class="num">{formatMoney(r.amount_minor, c)}</td>
                <td class="num">{formatMoney(r.paid_minor, c)}</td>
                <td>
                  <Chip status={r.status} prefix="sched" />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <h2>{say('repayments')}</h2>
      {loan.repayments.length === 0 ? (
        <p class="note">{say('no_repayments')}</p>
      ) : (
        <ul class="transactions" data-testid="loan-repayments">
          {loan.repayments.map((r) => (
            <li key={r.id}>
              <span class="tx-name">{say('repay')}</span>
              <span class="tx-date">{formatDay(r.business_date)}</span>
              <span class="money">{formatMoney(r.amount_minor, c)}</span>
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

function Repay({ loan, onDone, onCancel }: { loan: LoanDetail; onDone: (loan: LoanDetail, amount: string) => void; onCancel: () => void }) {
  const c = loan.currency;
  const [amount, setAmount] = useState(() => (loan.next_payment ? formatPlain(loan.next_payment.amount_minor, c) : ''));
  const [touched, setTouched] = useState(false);
  const [draft, setDraft] = useState<{ id: string; amount_minor: string }>();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const minor = parseAmount(amount, c);
  useReady(draft ? 'loan-repay-confirm' : 'loan-repay');

  async function confirm() {
    if (!draft) return;
    setBusy(true);
    setError(undefined);
    try {
      onDone(await loansApi.repay(loan.id, { id: draft.id, amount_minor: draft.amount_minor, from_account_id: loan.account_id }), draft.amount_minor);
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  }

  if (draft) {
    return (
      <section class="screen" aria-live="polite">
        <Title>{say('repay_confirm_title')}</Title>
        <dl class="summary">
          <div>
            <dt>{say('repay_amount', { currency: c })}</dt>
            <dd class="big-amount">{formatMoney(draft.amount_minor, c)}</dd>
          </div>
          <div>
            <dt>{say('repay_from')}</dt>
            <dd class="account-id">{loan.account_id}</dd>
          </div>
        </dl>
        <p class="note">{say('repay_note')}</p>
        <ConfirmActions error={error} busy={busy} onConfirm={confirm} onEdit={() => setDraft(undefined)} confirm={say('repay_confirm')} busyLabel={say('repaying')} edit={say('edit')} />
      </section>
    );
  }
  return (
    <section class="screen">
      <Title>{say('repay_title')}</Title>
      <form
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          setTouched(true);
          // The id is chosen once per draft: confirming twice repays once.
          if (minor) setDraft({ id: crypto.randomUUID(), amount_minor: minor });
        }}
      >
        <Field id="repay_amount" label={say('repay_amount', { currency: c })} inputMode="decimal" value={amount} onInput={setAmount} required invalid={touched && !minor ? say('money_invalid') : undefined} />
        <button class="primary" type="submit">
          {say('repay_review')}
        </button>
        <button class="secondary" type="button" onClick={onCancel}>
          {say('back')}
        </button>
      </form>
    </section>
  );
}

/** "888488" → "8884.88": the amount as the customer types it. */
function formatPlain(minor: string, currency: string): string {
  const scale = scaleOf(currency);
  if (scale === 0) return minor;
  const padded = minor.padStart(scale + 1, '0');
  return `${padded.slice(0, -scale)}.${padded.slice(-scale)}`;
}
