/** "My pay code": the payload the API gives, as text and as a QR code. */
import { useEffect, useState } from 'preact/hooks';
import { api } from '../api';
import { t } from '../i18n';
import { QrCode } from '../qr-view';
import { ErrorNote, Title, useReady } from '../ui';

export function PayCode() {
  const [payload, setPayload] = useState<string>();
  const [error, setError] = useState<unknown>();
  useReady('pay-code', payload !== undefined);

  useEffect(() => {
    api.payCode().then(
      (answer) => setPayload(answer.payload),
      (err: unknown) => setError(err),
    );
  }, []);

  return (
    <section class="screen paycode">
      <Title>{t('pay_code')}</Title>
      <ErrorNote error={error} />
      {payload && (
        <>
          <QrCode text={payload} label={t('pay_code')} />
          <p class="payload" data-testid="pay-payload">
            {payload}
          </p>
          <p class="note">{t('pay_code_note')}</p>
        </>
      )}
    </section>
  );
}
