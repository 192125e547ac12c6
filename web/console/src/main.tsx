/**
 * Entry: the sign-in screen is all the first load carries; the signed-in shell (menu,
 * screens) and ECharts are fetched after sign-in.
 */
import { render, type FunctionComponent } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, ApiError, loadSession, saveSession, SIGNED_OUT_EVENT, type StaffSession } from './api';
import { currentLang, setLang, t, type Lang } from './i18n';
import { LangSwitch } from './lang-switch';

type ShellProps = { session: StaffSession; lang: Lang; onLang: (l: Lang) => void; onSignedOut: () => void };
let shellLoad: Promise<FunctionComponent<ShellProps>> | undefined;
const loadShell = () => (shellLoad ??= import('./shell').then((m) => m.Shell));

function SignIn({ onSignedIn, lang, onLang }: { onSignedIn: (s: StaffSession) => void; lang: Lang; onLang: (l: Lang) => void }) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const emailRef = useRef<HTMLInputElement>(null);
  useEffect(() => emailRef.current?.focus(), []);

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    void loadShell(); // fetch the shell while the password is checked
    try {
      const session = await api<StaffSession>('POST', '/v1/staff/sign-in', { email: email.trim(), password }, { auth: false });
      saveSession(session);
      onSignedIn(session);
    } catch (err) {
      setError(err instanceof ApiError ? err.problem.detail : String(err));
      setBusy(false);
    }
  };

  return (
    <main class="signin" id="main">
      <div class="signin-top">
        <LangSwitch lang={lang} onLang={onLang} />
      </div>
      <form class="card signin-card" onSubmit={submit} aria-labelledby="signin-title" noValidate={false}>
        <h1 id="signin-title">{t('app_title')}</h1>
        <p class="muted">{t('sign_in_hint')}</p>
        <label class="field">
          <span>{t('email')}</span>
          <input ref={emailRef} type="email" name="email" autoComplete="username" required value={email} onInput={(e) => setEmail(e.currentTarget.value)} />
        </label>
        <label class="field">
          <span>{t('password')}</span>
          <input type="password" name="password" autoComplete="current-password" required value={password} onInput={(e) => setPassword(e.currentTarget.value)} />
        </label>
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" class="primary" disabled={busy}>
          {busy ? t('signing_in') : t('sign_in')}
        </button>
      </form>
    </main>
  );
}

function App() {
  const [session, setSession] = useState<StaffSession | null>(loadSession());
  const [lang, setLangState] = useState<Lang>(currentLang());
  const [Shell, setShell] = useState<FunctionComponent<ShellProps> | null>(null);

  useEffect(() => {
    const signedOut = () => setSession(null);
    window.addEventListener(SIGNED_OUT_EVENT, signedOut);
    return () => window.removeEventListener(SIGNED_OUT_EVENT, signedOut);
  }, []);
  useEffect(() => {
    document.title = t('app_title');
  }, [lang]);
  useEffect(() => {
    if (session && !Shell) void loadShell().then((c) => setShell(() => c));
  }, [session, Shell]);

  const onLang = (l: Lang) => {
    setLang(l);
    setLangState(l);
  };

  if (!session) return <SignIn onSignedIn={setSession} lang={lang} onLang={onLang} />;
  if (!Shell)
    return (
      <p class="muted center" role="status">
        {t('loading')}
      </p>
    );
  return <Shell session={session} lang={lang} onLang={onLang} onSignedOut={() => setSession(null)} />;
}

setLang(currentLang());
render(<App />, document.getElementById('root')!);
