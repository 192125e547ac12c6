/** An account's statement for a chosen period: opening and closing balance, money in and out, each line. */
import { useEffect, useState } from 'preact/hooks';
import { api, lastAnswerOffline, type Statement as StatementData } from '../api';
import { t, type TextKey } from '../i18n';
import { ErrorNote, Money, OfflineNote, Title, formatDate, useReady } from '../ui';

type Period = 'last_30_days' | 'this_month' | 'last_month';
const PERIODS: Period[] = ['last_30_days', 'this_month', 'last_month'];

function range(period: Period, now: Date): { from: string; to: string } {
  const y = now.getUTCFullYear();
  const m = now.getUTCMonth();
  if (period === 'this_month') return { from: new Date(Date.UTC(y, m, 1)).toISOString(), to: now.toISOString() };
  if (period === 'last_month') return { from: new Date(Date.UTC(y, m - 1, 1)).toISOString(), to: new Date(Date.UTC(y, m, 1)).toISOString() };
  return { from: new Date(now.getTime() - 30 * 86_400_000).toISOString(), to: now.toISOString() };
}

export function Statement({ accountId }: { accountId: string }) {
  const [period, setPeriod] = useState<Period>('last_30_days');
  const [data, setData] = useState<StatementData>();
  const [offline, setOffline] = useState(false);
  const [error, setError] = useState<unknown>();
  useReady('statement', data !== undefined);

  useEffect(() => {
    let live = true;
    // The end of the current minute: includes everything so far, and a revisit within the
    // minute asks for the same URL the service worker may have kept.
    const now = new Date((Math.floor(Date.now() / 60_000) + 1) * 60_000);
    const { from, to } = range(period, now);
    setError(undefined);
    api.statement(accountId, from, to).then(
      (answer) => {
        if (!live) return;
        setData(answer);
        setOffline(lastAnswerOffline);
      },
      (err: unknown) => live && setError(err),
    );
    return () => {
      live = false;
    };
  }, [accountId, period]);

  return (
    <section class="screen">
      <Title>{t('statement')}</Title>
      <OfflineNote offline={offline} />
      <div class="field">
        <label for="period">{t('period')}</label>
        <select id="period" value={period} onChange={(e) => setPeriod((e.currentTarget as HTMLSelectElement).value as Period)}>
          {PERIODS.map((p) => (
            <option key={p} value={p}>
              {t(p as TextKey)}
            </option>
          ))}
        </select>
      </div>
      <ErrorNote error={error} />
      {data && (
        <>
          <dl class="summary">
            <div>
              <dt>{t('opening')}</dt>
              <dd>
                <Money minor={data.opening_balance_minor} currency={data.currency} />
              </dd>
            </div>
            <div>
              <dt>{t('money_in')}</dt>
              <dd>
                <Money minor={data.total_credits_minor} currency={data.currency} sign="+" />
              </dd>
            </div>
            <div>
              <dt>{t('money_out')}</dt>
              <dd>
                <Money minor={data.total_debits_minor} currency={data.currency} sign="-" />
              </dd>
            </div>
            <div>
              <dt>{t('closing')}</dt>
              <dd>
                <Money minor={data.closing_balance_minor} currency={data.currency} />
              </dd>
            </div>
          </dl>
          {data.truncated && <p class="note">{t('truncated')}</p>}
          <table class="statement">
            <caption class="visually-hidden">{t('statement')}</caption>
            <thead>
              <tr>
                <th scope="col">{t('date')}</th>
                <th scope="col">{t('details')}</th>
                <th scope="col" class="num">
                  {t('amount', { currency: data.currency })}
                </th>
                <th scope="col" class="num">
                  {t('balance')}
                </th>
              </tr>
            </thead>
            <tbody>
              {data.lines.map((line) => {
                const credit = line.credit_minor !== '0';
                const memo = typeof line.metadata?.memo === 'string' ? line.metadata.memo : undefined;
                return (
                  <tr key={line.transfer_id}>
                    <td>{formatDate(line.created_at)}</td>
                    <td>{line.counterparty_name || line.note || memo || t('counterparty_unknown')}</td>
                    <td class="num">
                      <Money minor={credit ? line.credit_minor : line.debit_minor} currency={data.currency} sign={credit ? '+' : '-'} />
                    </td>
                    <td class="num">
                      <Money minor={line.balance_minor} currency={data.currency} />
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </>
      )}
    </section>
  );
}
