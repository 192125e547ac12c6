/** The app frame: header with the language switch, the current screen, and the bottom menu when signed in. */
import { useEffect } from 'preact/hooks';
import { lang, setLang, t } from './i18n';
import { navigate, route } from './router';
import { customer, restore } from './session';
import { useSignal } from './signal';
import { SignIn, SignUp, Otp } from './screens/auth';
import { Welcome } from './screens/welcome';
import { Home } from './screens/home';
import { Transfer } from './screens/transfer';
import { Statement } from './screens/statement';
import { PayCode } from './screens/paycode';
import { ComingNext, More, COMING_NEXT } from './screens/more';
import { FeatureScreen, featureOf } from './features';

const PUBLIC_ROUTES = new Set(['', 'welcome', 'sign-up', 'sign-in', 'otp']);

function Screen({ path, signedIn }: { path: string; signedIn: boolean }) {
  if (!signedIn) {
    if (path === 'sign-up') return <SignUp />;
    if (path === 'sign-in') return <SignIn />;
    if (path === 'otp') return <Otp />;
    return <Welcome />;
  }
  if (path === '' || path === 'home') return <Home />;
  if (path === 'transfer') return <Transfer />;
  if (path === 'pay-code') return <PayCode />;
  if (path === 'more') return <More />;
  const statement = /^accounts\/([^/]+)\/statement$/.exec(path);
  if (statement) return <Statement accountId={decodeURIComponent(statement[1]!)} key={statement[1]} />;
  const feature = featureOf(path);
  if (feature) return <FeatureScreen feature={feature} path={path} />;
  const next = COMING_NEXT.find((item) => item.route === path);
  if (next) return <ComingNext label={next.label} />;
  return <Home />;
}

const MENU = [
  { path: 'home', label: 'home' },
  { path: 'transfer', label: 'transfer' },
  { path: 'pay-code', label: 'pay_code' },
  { path: 'more', label: 'more' },
] as const;

export function App() {
  const path = useSignal(route);
  const who = useSignal(customer);
  const current = useSignal(lang);

  useEffect(() => {
    void restore();
  }, []);

  // Signed-out visitors on a private route go to the welcome screen, signed-in ones skip the sign-in screens.
  useEffect(() => {
    if (who === null && !PUBLIC_ROUTES.has(path)) navigate('', true);
    if (who && PUBLIC_ROUTES.has(path) && path !== '') navigate('home', true);
  }, [who, path]);

  return (
    <div class="frame" lang={current === 'zh' ? 'zh-CN' : 'en'}>
      <a class="skip" href="#main">
        {t('skip_to_content')}
      </a>
      <header class="top">
        <span class="brand">{t('app_name')}</span>
        <button type="button" class="lang" aria-label={t('language')} onClick={() => setLang(current === 'zh' ? 'en' : 'zh')}>
          {current === 'zh' ? 'EN' : '中文'}
        </button>
      </header>
      <main id="main">{who === undefined ? <p aria-busy="true">{t('loading')}</p> : <Screen path={path} signedIn={who !== null} />}</main>
      {who && (
        <nav class="tabs" aria-label={t('main_menu')}>
          {MENU.map((item) => {
            const active = path === item.path || (item.path === 'home' && path === '');
            return (
              <a
                key={item.path}
                href={`/app/${item.path}`}
                aria-current={active ? 'page' : undefined}
                onClick={(e) => {
                  e.preventDefault();
                  navigate(item.path);
                }}
              >
                {t(item.label)}
              </a>
            );
          })}
        </nav>
      )}
    </div>
  );
}
