import { t } from '../i18n';
import { navigate } from '../router';
import { Title, useReady } from '../ui';

export function Welcome() {
  useReady('welcome');
  return (
    <section class="screen welcome">
      <img class="logo" src="/app/icons/icon.svg" alt="" width="96" height="96" />
      <Title>{t('app_name')}</Title>
      <p class="lead">{t('tagline')}</p>
      <div class="actions">
        <button class="primary" type="button" onClick={() => navigate('sign-up')}>
          {t('sign_up')}
        </button>
        <button class="secondary" type="button" onClick={() => navigate('sign-in')}>
          {t('sign_in')}
        </button>
      </div>
    </section>
  );
}
