/** Pieces the loan screens share: the schedule table, the step marker, the status chip. */
import { formatMoney } from '../../money';
import type { Schedule } from './client';
import { say, type LoanText } from './text';

export const formatDay = (date: string): string =>
  new Date(`${date}T00:00:00Z`).toLocaleDateString(document.documentElement.lang, { year: 'numeric', month: 'short', day: 'numeric', timeZone: 'UTC' });

export function Steps({ n }: { n: 1 | 2 | 3 }) {
  return (
    <p class="loan-steps" aria-label={say('step', { n: String(n) })}>
      {[1, 2, 3].map((i) => (
        <span key={i} class={i <= n ? 'on' : undefined} aria-hidden="true" />
      ))}
      <span class="loan-steps-text">{say('step', { n: String(n) })}</span>
    </p>
  );
}

export function Chip({ status, prefix }: { status: string; prefix: 'sched' | 'app' | 'status' }) {
  const key = `${prefix}_${status}` as LoanText;
  return <span class={`loan-chip loan-chip-${status}`}>{safeSay(key, status)}</span>;
}

function safeSay(key: LoanText, fallback: string): string {
  try {
    return say(key) ?? fallback;
  } catch {
    return fallback;
  }
}

/** A preview schedule (an offer's): every instalment, in a table with a caption. */
export function ScheduleTable({ schedule, currency, id }: { schedule: Schedule; currency: string; id: string }) {
  return (
    <div class="loan-table-wrap">
      <table class="statement loan-schedule" id={id}>
        <caption class="visually-hidden">{say('schedule')}</caption>
        <thead>
          <tr>
            <th scope="col">{say('col_no')}</th>
            <th scope="col">{say('col_due')}</th>
            <th scope="col" class="num">
              {say('col_payment')}
            </th>
            <th scope="col" class="num">
              {say('col_interest')}
            </th>
            <th scope="col" class="num">
              {say('col_balance')}
            </th>
          </tr>
        </thead>
        <tbody>
          {schedule.instalments.map((i) => (
            <tr key={i.number}>
              <td>{i.number}</td>
              <td>{formatDay(i.due_date)}</td>
              <td class="num">{formatMoney((BigInt(i.payment) + BigInt(i.fee)).toString(), currency)}</td>
              <td class="num">{formatMoney(i.interest, currency)}</td>
              <td class="num">{formatMoney(i.balance_after, currency)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
