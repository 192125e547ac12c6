/**
 * The signed-in console: header (who, role, language, sign-out), the menu filtered by the
 * role's scopes (the API enforces them anyway), and the hash-routed screens, each a lazy chunk.
 */
import type { FunctionComponent } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, clearSession, grants, type StaffSession } from './api';
import { t, type Lang, type TextKey } from './i18n';
import { LangSwitch } from './lang-switch';

export interface ScreenProps {
  /** The hash path after the section, e.g. ['cases', '<id>'] for #/risk/cases/<id>. */
  path: string[];
  scopes: string[];
  session: StaffSession;
}
type ScreenModule = { default: FunctionComponent<ScreenProps> };

interface Entry {
  key: string;
  label: TextKey;
  allowed: (scopes: string[]) => boolean;
  load: () => Promise<ScreenModule>;
}

export const MENU: Entry[] = [
  { key: 'customers', label: 'nav_customers', allowed: (s) => grants(s, 'ledger:read') || grants(s, 'openbanking:admin'), load: () => import('./screens/customers') },
  { key: 'ledger', label: 'nav_ledger', allowed: (s) => grants(s, 'ledger:read'), load: () => import('./screens/ledger') },
  { key: 'risk', label: 'nav_risk', allowed: (s) => grants(s, 'risk:cases'), load: () => import('./screens/risk') },
  { key: 'rules', label: 'nav_rules', allowed: (s) => grants(s, 'risk:read'), load: () => import('./screens/rules') },
  { key: 'lending', label: 'nav_lending', allowed: (s) => grants(s, 'lending:read'), load: () => import('./screens/lending') },
  { key: 'openbanking', label: 'nav_openbanking', allowed: (s) => grants(s, 'openbanking:admin'), load: () => import('./screens/openbanking') },
  { key: 'dashboard', label: 'nav_dashboard', allowed: () => true, load: () => import('./screens/dashboard') },
  { key: 'scorecard', label: 'nav_scorecard', allowed: () => true, load: () => import('./screens/scorecard') },
  { key: 'audit', label: 'nav_audit', allowed: (s) => grants(s, 'admin'), load: () => import('./screens/audit') },
];

/** Sub-routes that live in another section's module. */
const ALIASES: Record<string, string> = { accounts: 'customers' };

function parseHash(): string[] {
  return location.hash
    .replace(/^#\/?/, '')
    .split('/')
    .filter(Boolean)
    .map((p) => decodeURIComponent(p));
}

function useHashPath(): string[] {
  const [path, setPath] = useState(parseHash());
  useEffect(() => {
    const on = () => setPath(parseHash());
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);
  return path;
}

export function Shell({ session, lang, onLang, onSignedOut }: { session: StaffSession; lang: Lang; onLang: (l: Lang) => void; onSignedOut: () => void }) {
  const path = useHashPath();
  const scopes = session.scopes;
  const menu = MENU.filter((m) => m.allowed(scopes));
  const section = path[0] ? (ALIASES[path[0]] ?? path[0]) : undefined;
  const entry = menu.find((m) => m.key === section);
  const [Screen, setScreen] = useState<{ key: string; c: FunctionComponent<ScreenProps> } | null>(null);
  const mainRef = useRef<HTMLElement>(null);

  useEffect(() => {
    if (!entry) return;
    let live = true;
    void entry.load().then((m) => live && setScreen({ key: entry.key, c: m.default }));
    return () => {
      live = false;
    };
  }, [entry?.key]);

  // A new section moves focus to its content, as a page load would.
  useEffect(() => {
    mainRef.current?.focus();
  }, [section]);

  const signOut = async () => {
    try {
      await api('POST', '/v1/staff/sign-out', {});
    } catch {
      // the token is dropped here whatever the server says
    }
    clearSession();
    location.hash = '';
    onSignedOut();
  };

  const Current = Screen && entry && Screen.key === entry.key ? Screen.c : null;
  const args = path[0] && ALIASES[path[0]] ? path : path.slice(1);

  return (
    <div class="shell">
      <a class="skip" href="#main" onClick={(e) => (e.preventDefault(), mainRef.current?.focus())}>
        {t('skip')}
      </a>
      <header class="top">
        <a class="brand" href="#/">
          {t('app_title')}
        </a>
        <div class="who" aria-label={t('signed_in_as')}>
          <span class="who-name">{session.staff.display_name}</span>
          <span class="role" data-testid="staff-role">
            {t(`role_${session.staff.role}` as TextKey)}
          </span>
        </div>
        <LangSwitch lang={lang} onLang={onLang} />
        <button type="button" class="secondary" onClick={signOut}>
          {t('sign_out')}
        </button>
      </header>
      <nav class="menu" aria-label={t('menu')}>
        <ul>
          {menu.map((m) => (
            <li key={m.key}>
              <a href={`#/${m.key}`} aria-current={m.key === section ? 'page' : undefined} data-nav={m.key}>
                {t(m.label)}
              </a>
            </li>
          ))}
        </ul>
      </nav>
      <main id="main" ref={mainRef} tabIndex={-1} class="content">
        {!section && (
          <section class="card">
            <h1>
              {t('welcome')}, {session.staff.display_name}
            </h1>
            <p>{t('welcome_hint')}</p>
            <p class="muted">
              {t('scopes')}: {scopes.join(', ')}
            </p>
          </section>
        )}
        {section && !entry && (
          <p class="error" role="alert">
            {t('not_allowed')}
          </p>
        )}
        {entry && !Current && (
          <p class="muted" role="status">
            {t('loading')}
          </p>
        )}
        {Current && <Current path={args} scopes={scopes} session={session} />}
      </main>
    </div>
  );
}
