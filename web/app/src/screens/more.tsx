/** The "More" menu: language, sign-out, and the named places for what comes next. */
import { t, lang, setLang } from '../i18n';
import { navigate } from '../router';
import { signOut } from '../session';
import { useSignal } from '../signal';
import { Title, useReady } from '../ui';
import { FEATURES } from '../features';

/** Parts of the app that have their route and menu entry but are not built yet. */
export const COMING_NEXT = [
  { route: 'envelopes', label: 'red_envelopes' },
  { route: 'loans', label: 'loans' },
  { route: 'mini-programs', label: 'mini_programs' },
] as const;

export function More() {
  useReady('more');
  const current = useSignal(lang);
  return (
    <section class="screen">
      <Title>{t('more')}</Title>
      <ul class="menu">
        {FEATURES.map((feature) => (
          <li key={feature.route}>
            <button type="button" class="menu-item" onClick={() => navigate(feature.route)}>
              {t(feature.label)}
            </button>
          </li>
        ))}
        {COMING_NEXT.filter((item) => !FEATURES.some((f) => f.route === item.route)).map((item) => (
          <li key={item.route}>
            <button type="button" class="menu-item" onClick={() => navigate(item.route)}>
              {t(item.label)} <span class="badge">{t('coming_next')}</span>
            </button>
          </li>
        ))}
      </ul>
      <div class="field">
        <label for="language">{t('language')}</label>
        <select id="language" value={current} onChange={(e) => setLang((e.currentTarget as HTMLSelectElement).value as 'en' | 'zh')}>
          <option value="en">English</option>
          <option value="zh">中文</option>
        </select>
      </div>
      <button
        class="secondary"
        type="button"
        onClick={async () => {
          await signOut();
          navigate('', true);
        }}
      >
        {t('sign_out')}
      </button>
    </section>
  );
}

/** A named place for red envelopes, loans and mini-programs: the route exists, the screen says what is coming. */
export function ComingNext({ label }: { label: (typeof COMING_NEXT)[number]['label'] }) {
  useReady(`coming-next-${label}`);
  return (
    <section class="screen" data-coming-next={label}>
      <Title>{t(label)}</Title>
      <p class="badge">{t('coming_next')}</p>
      <p>{t('coming_next_note')}</p>
      <button class="secondary" type="button" onClick={() => navigate('more')}>
        {t('back')}
      </button>
    </section>
  );
}
