/**
 * Loans (route `loans`): my loans and applications; `loans/apply` the offer with its
 * schedule, the application in three steps and the decision; `loans/<id>` one loan with its
 * schedule and repayments; `loans/applications/<id>` an earlier decision.
 */
import { useEffect, useState } from 'preact/hooks';
import { formatMoney } from '../../money';
import { navigate } from '../../router';
import { ErrorNote, Title, useReady } from '../../ui';
import { loansApi, type Application, type Loan } from './client';
import { Apply, Decision } from './apply';
import { LoanScreen } from './loan';
import { Chip, formatDay } from './parts';
import { say } from './text';
import './loans.css';

export function Screen({ path }: { path: string }) {
  const rest = path.slice('loans'.length).replace(/^\//, '');
  if (rest === 'apply') return <Apply />;
  const decision = /^applications\/([0-9a-fA-F-]{36})$/.exec(rest);
  if (decision) return <SavedDecision id={decision[1]!} key={decision[1]} />;
  if (/^[0-9a-fA-F-]{36}$/.test(rest)) return <LoanScreen id={rest} key={rest} />;
  return <Overview />;
}

function Overview() {
  const [loans, setLoans] = useState<Loan[]>();
  const [applications, setApplications] = useState<Application[]>();
  const [error, setError] = useState<unknown>();
  useReady('loans', loans !== undefined && applications !== undefined);

  useEffect(() => {
    Promise.all([loansApi.loans(), loansApi.applications()]).then(([l, a]) => {
      setLoans(l.items);
      setApplications(a.items);
    }, setError);
  }, []);

  // Accepted applications are their loans; the rest are shown as decisions.
  const open = applications?.filter((a) => a.status !== 'accepted') ?? [];
  return (
    <section class="screen">
      <Title>{say('title')}</Title>
      <p class="lead">{say('intro')}</p>
      <ErrorNote error={error} />
      <button class="primary" type="button" onClick={() => navigate('loans/apply')}>
        {say('apply_new')}
      </button>
      <h2>{say('my_loans')}</h2>
      {loans && loans.length === 0 && <p class="note">{say('no_loans')}</p>}
      <ul class="cards">
        {loans?.map((l) => (
          <li key={l.id} class="card" data-loan-id={l.id}>
            <p class="card-title">
              {l.product_name} <Chip status={l.status} prefix="status" />
            </p>
            <p class="balance">{formatMoney(l.outstanding.total_minor, l.currency)}</p>
            {l.next_payment && (
              <p>
                {say('next_payment')}: {formatMoney(l.next_payment.amount_minor, l.currency)} · {say('due_on', { date: formatDay(l.next_payment.due_date) })}{' '}
                {l.next_payment.overdue && <Chip status="overdue" prefix="sched" />}
              </p>
            )}
            <div class="card-actions">
              <button class="secondary small" type="button" onClick={() => navigate(`loans/${l.id}`)} aria-label={`${say('see')} ${l.product_name} ${formatMoney(l.principal_minor, l.currency)}`}>
                {say('see')}
              </button>
            </div>
          </li>
        ))}
      </ul>
      {open.length > 0 && (
        <>
          <h2>{say('my_applications')}</h2>
          <ul class="transactions">
            {open.map((a) => (
              <li key={a.id}>
                <button type="button" class="link loan-app-link" onClick={() => navigate(`loans/applications/${a.id}`)}>
                  {formatMoney(a.amount_minor, 'CNY')} · {say('months', { n: String(a.term_months) })}
                </button>
                <span class="tx-date">{formatDay(a.created_at.slice(0, 10))}</span>
                <Chip status={a.status} prefix="app" />
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}

function SavedDecision({ id }: { id: string }) {
  const [application, setApplication] = useState<Application>();
  const [error, setError] = useState<unknown>();
  useEffect(() => {
    loansApi.application(id).then(setApplication, setError);
  }, [id]);
  if (!application) return <section class="screen">{error ? <ErrorNote error={error} /> : <p aria-busy="true">…</p>}</section>;
  return <Decision application={application} currency="CNY" />;
}
