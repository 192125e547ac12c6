/** Sign-up with a passkey, sign-in with a passkey, and the one-time-code fallback (also the step-up after a new-device passkey sign-in). */
import { useState } from 'preact/hooks';
import { browserSupportsWebAuthn, startAuthentication, startRegistration } from '@simplewebauthn/browser';
import { api, isStepUp } from '../api';
import { t } from '../i18n';
import { navigate } from '../router';
import { deviceId, signedIn } from '../session';
import { signal } from '../signal';
import { ErrorNote, Field, Title, useReady } from '../ui';

const E164 = /^\+[1-9]\d{6,14}$/;

export function SignUp() {
  useReady('sign-up');
  const [name, setName] = useState('');
  const [phone, setPhone] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const [touched, setTouched] = useState(false);
  const supported = browserSupportsWebAuthn();
  const phoneInvalid = touched && !E164.test(phone.trim()) ? t('phone_hint') : undefined;

  async function submit(e: Event) {
    e.preventDefault();
    setTouched(true);
    if (!name.trim() || !E164.test(phone.trim())) return;
    setBusy(true);
    setError(undefined);
    try {
      const { flow_id, options } = await api.registrationOptions(name.trim(), phone.trim());
      const response = await startRegistration({ optionsJSON: options });
      const answer = await api.registrationVerify(flow_id, response, deviceId());
      signedIn(answer.customer);
      navigate('home', true);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <section class="screen">
      <Title>{t('sign_up')}</Title>
      {!supported && <p class="note">{t('no_passkey')}</p>}
      <form onSubmit={submit} noValidate>
        <Field id="display_name" label={t('display_name')} value={name} onInput={setName} autoComplete="name" required maxLength={80} invalid={touched && !name.trim() ? t('display_name') : undefined} />
        <Field id="phone" label={t('phone')} hint={t('phone_hint')} type="tel" inputMode="tel" autoComplete="tel" value={phone} onInput={setPhone} required invalid={phoneInvalid} />
        <p class="note">{t('passkey_note')}</p>
        <ErrorNote error={error} />
        <button class="primary" type="submit" disabled={busy || !supported}>
          {t('create_passkey')}
        </button>
      </form>
      <button class="link" type="button" onClick={() => navigate('sign-in')}>
        {t('sign_in')}
      </button>
    </section>
  );
}

export function SignIn() {
  useReady('sign-in');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const supported = browserSupportsWebAuthn();

  async function passkey() {
    setBusy(true);
    setError(undefined);
    try {
      const { flow_id, options } = await api.authenticationOptions();
      const response = await startAuthentication({ optionsJSON: options });
      const answer = await api.authenticationVerify(flow_id, response, deviceId());
      if (isStepUp(answer)) {
        otpState.set({ otp_id: answer.step_up.otp_id, phone_masked: answer.step_up.phone_masked, step_up: true });
        navigate('otp');
        return;
      }
      signedIn(answer.customer);
      navigate('home', true);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <section class="screen">
      <Title>{t('sign_in')}</Title>
      {supported ? (
        <button class="primary" type="button" onClick={passkey} disabled={busy}>
          {t('sign_in_passkey')}
        </button>
      ) : (
        <p class="note">{t('no_passkey')}</p>
      )}
      <ErrorNote error={error} />
      <button class="secondary" type="button" onClick={() => navigate('otp')}>
        {t('use_otp')}
      </button>
      <button class="link" type="button" onClick={() => navigate('sign-up')}>
        {t('sign_up')}
      </button>
    </section>
  );
}

/** The code in flight: started here (fallback) or handed over by a step-up answer. */
const otpState = signal<{ otp_id: string; phone_masked: string; step_up: boolean } | null>(null);

export function Otp() {
  useReady('otp');
  const pending = otpState.get();
  const [phone, setPhone] = useState('');
  const [code, setCode] = useState('');
  const [sent, setSent] = useState(pending);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();

  async function start(e: Event) {
    e.preventDefault();
    if (!E164.test(phone.trim())) return setError(new Error(t('phone_hint')));
    setBusy(true);
    setError(undefined);
    try {
      const answer = await api.otpStart(phone.trim());
      const next = { otp_id: answer.otp_id, phone_masked: phone.trim(), step_up: false };
      otpState.set(next);
      setSent(next);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  async function verify(e: Event) {
    e.preventDefault();
    if (!sent || !/^\d{6}$/.test(code.trim())) return setError(new Error(t('code')));
    setBusy(true);
    setError(undefined);
    try {
      const answer = await api.otpVerify(sent.otp_id, code.trim(), deviceId());
      otpState.set(null);
      signedIn(answer.customer);
      navigate('home', true);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <section class="screen">
      <Title>{t('sign_in')}</Title>
      {!sent ? (
        <form onSubmit={start} noValidate>
          <Field id="otp_phone" label={t('phone')} hint={t('phone_hint')} type="tel" inputMode="tel" autoComplete="tel" value={phone} onInput={setPhone} required />
          <ErrorNote error={error} />
          <button class="primary" type="submit" disabled={busy}>
            {t('send_code')}
          </button>
        </form>
      ) : (
        <form onSubmit={verify} noValidate>
          <p class="note" role="status">
            {sent.step_up ? t('step_up_note', { phone: sent.phone_masked }) : t('code_sent', { phone: sent.phone_masked })}
          </p>
          <Field id="otp_code" label={t('code')} inputMode="numeric" autoComplete="one-time-code" value={code} onInput={setCode} maxLength={6} pattern="[0-9]{6}" required />
          <ErrorNote error={error} />
          <button class="primary" type="submit" disabled={busy}>
            {t('verify')}
          </button>
        </form>
      )}
      <button class="link" type="button" onClick={() => history.back()}>
        {t('back')}
      </button>
    </section>
  );
}
