/** The ledger's open holds (GET /v1/pending-transfers): pending transfers not yet posted, voided or expired, oldest first. */
import { qs } from '../api';
import { money, short, when } from '../format';
import { t } from '../i18n';
import { PagedTable, Section, usePaged } from '../ui';
import type { Transfer } from './customers';

export function PendingHolds() {
  const first = usePaged<Transfer>((cursor) => `/v1/pending-transfers${qs({ limit: 50, cursor })}`, []);
  return (
    <Section title={t('open_holds')} id="open-holds">
      <PagedTable list={first}
          caption={t('open_holds')}
          rowKey={(x) => x.id}
          columns={[
            { label: t('transfer_id'), cell: (x) => <a href={`#/ledger/transfers/${x.id}`} data-hold={x.id}>{short(x.id)}</a> },
            { label: t('amount'), num: true, cell: (x) => money(x.amount, x.currency) },
            { label: t('debit'), cell: (x) => <a href={`#/accounts/${x.debit_account_id}`}>{short(x.debit_account_id)}</a> },
            { label: t('credit'), cell: (x) => <a href={`#/accounts/${x.credit_account_id}`}>{short(x.credit_account_id)}</a> },
            { label: t('code'), cell: (x) => String(x.code) },
            { label: t('created'), cell: (x) => when(x.created_at) },
            { label: t('expires'), cell: (x) => when(x.expires_at) },
          ]}
        />
    </Section>
  );
}
