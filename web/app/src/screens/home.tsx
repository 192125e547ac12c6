/** Accounts with balances, and the recent transactions of the first account. */
import { useEffect, useState } from 'preact/hooks';
import { api, lastAnswerOffline, type Account, type Transaction } from '../api';
import { t } from '../i18n';
import { navigate } from '../router';
import { customer } from '../session';
import { useSignal } from '../signal';
import { ErrorNote, Money, OfflineNote, Title, formatDate, useReady } from '../ui';

export function Home() {
  const who = useSignal(customer);
  const [accounts, setAccounts] = useState<Account[]>();
  const [recent, setRecent] = useState<Transaction[]>();
  const [offline, setOffline] = useState(false);
  const [error, setError] = useState<unknown>();
  useReady('home', accounts !== undefined);

  useEffect(() => {
    let live = true;
    (async () => {
      try {
        const { items } = await api.accounts();
        let wasOffline = lastAnswerOffline;
        if (!live) return;
        setAccounts(items);
        if (items[0]) {
          const page = await api.transactions(items[0].id, 10);
          wasOffline ||= lastAnswerOffline;
          if (live) setRecent(page.items);
        } else setRecent([]);
        if (live) setOffline(wasOffline);
      } catch (err) {
        if (live) setError(err);
      }
    })();
    return () => {
      live = false;
    };
  }, []);

  return (
    <section class="screen">
      <Title>{t('hello', { name: who?.display_name ?? '' })}</Title>
      <OfflineNote offline={offline} />
      <ErrorNote error={error} />
      <h2>{t('accounts')}</h2>
      {accounts === undefined && !error && <p aria-busy="true">{t('loading')}</p>}
      <ul class="cards" aria-label={t('accounts')}>
        {accounts?.map((account) => (
          <li class="card account" key={account.id} data-account-id={account.id}>
            <p class="card-title">{account.nickname || t('current_account')}</p>
            <p class="balance">
              <span class="visually-hidden">{t('balance')}: </span>
              <Money minor={account.balance_minor} currency={account.currency} />
            </p>
            <dl class="figures">
              <div>
                <dt>{t('available')}</dt>
                <dd data-testid="available">
                  <Money minor={account.available_minor} currency={account.currency} />
                </dd>
              </div>
              {account.pending_minor !== '0' && (
                // pending_minor is the net of unsettled holds: negative for money on its way out.
                <div>
                  <dt>{account.pending_minor.startsWith('-') ? t('pending') : t('incoming')}</dt>
                  <dd>
                    <Money minor={account.pending_minor.replace(/^-/, '')} currency={account.currency} />
                  </dd>
                </div>
              )}
            </dl>
            <p class="account-id">{account.id}</p>
            <div class="card-actions">
              <button type="button" class="secondary small" onClick={() => navigate('transfer')}>
                {t('transfer')}
              </button>
              <button type="button" class="secondary small" onClick={() => navigate(`accounts/${account.id}/statement`)}>
                {t('see_statement')}
              </button>
            </div>
          </li>
        ))}
      </ul>
      <h2>{t('recent')}</h2>
      {recent && recent.length === 0 && <p class="note">{t('no_transactions')}</p>}
      <ul class="transactions" aria-label={t('recent')}>
        {recent?.map((tx) => (
          <li key={tx.transfer_id}>
            <span class="tx-name">{tx.counterparty_name || tx.note || t('counterparty_unknown')}</span>
            <span class="tx-date">{formatDate(tx.created_at)}</span>
            <Money minor={tx.amount_minor} currency={tx.currency} sign={tx.direction === 'in' ? '+' : '-'} />
          </li>
        ))}
      </ul>
    </section>
  );
}
