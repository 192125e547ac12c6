/**
 * The host of one mini-program: a sandboxed frame (scripts and forms only; never
 * allow-same-origin, so the page runs in an opaque origin with no access to this page, its
 * cookies, storage or session) and the bridge's answering side. A request is answered only
 * when it comes from this frame's window (event.source) in an opaque origin, for a method of
 * a bridge scope the mini-program is registered for; money and data move only after the
 * customer approved a sheet the bank draws.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, api, type Account } from '../../api';
import { lang } from '../../i18n';
import { useReady } from '../../ui';
import { BRIDGE_VERSION, BridgeFailure, SCOPE_OF, authCodeParams, coarse, isMethod, parseRequest, paymentParams, type AuthCodeParams, type PaymentParams } from './bridge';
import { miniApi, type MiniProgramItem } from './client';
import { AuthSheet, LocationSheet, PaymentSheet } from './sheets';
import { say } from './text';

type Answer = (outcome: { ok: true; result: unknown } | { ok: false; code: string; message: string }) => void;

type SheetState =
  | { kind: 'pay'; params: PaymentParams; accounts: Account[]; answer: Answer; payment_id: string }
  | { kind: 'auth'; params: AuthCodeParams; accounts: Account[]; answer: Answer }
  | { kind: 'location'; answer: Answer };

const fail = (answer: Answer, code: string, message: string) => answer({ ok: false, code, message });

export function Host({ program }: { program: MiniProgramItem }) {
  const frame = useRef<HTMLIFrameElement>(null);
  const generation = useRef(0);
  const [loaded, setLoaded] = useState(false);
  const [sheet, setSheet] = useState<SheetState | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const sheetOpen = useRef(false);
  sheetOpen.current = sheet !== null;
  useReady('mini-program', loaded);

  // The frame is inert while a sheet is up: nothing in it can take focus or clicks.
  useEffect(() => {
    if (frame.current) frame.current.inert = sheet !== null;
  }, [sheet]);

  useEffect(() => {
    const onMessage = (event: MessageEvent) => {
      const win = frame.current?.contentWindow;
      // Only this frame's own window, and only while it runs in its opaque (sandboxed) origin.
      if (!win || event.source !== win || event.origin !== 'null') return;
      const at = generation.current;
      const id = (event.data as { id?: unknown } | null)?.id;
      const answer: Answer = (outcome) => {
        // A frame that navigated since it asked is another page: it gets nothing.
        if (generation.current !== at || frame.current?.contentWindow !== win) return;
        const body = outcome.ok ? { ok: true, result: outcome.result } : { ok: false, error: { code: outcome.code, message: outcome.message } };
        // An opaque origin cannot be named as a target; the window itself is checked above.
        win.postMessage({ capillary: 'bridge', v: BRIDGE_VERSION, id, ...body }, '*');
      };
      try {
        const request = parseRequest(event.data);
        if (!request) return;
        if (!isMethod(request.method)) return fail(answer, 'unknown_method', `unknown method ${request.method}; known: getContext, getAuthCode, requestPayment, getLocation`);
        const scope = SCOPE_OF[request.method];
        if (scope && !program.bridge_scopes.includes(scope)) return fail(answer, 'scope_not_granted', `${request.method} needs the ${scope} bridge scope, which ${program.name} is not registered for`);
        if (request.method === 'getContext') return answer({ ok: true, result: { bridge_version: BRIDGE_VERSION, locale: lang.get(), bridge_scopes: program.bridge_scopes } });
        if (sheetOpen.current) return fail(answer, 'busy', 'another request is waiting for the customer');
        sheetOpen.current = true;
        void open(request.method, request.params, answer).catch((err: unknown) => {
          sheetOpen.current = false;
          setSheet(null);
          fail(answer, err instanceof BridgeFailure ? err.code : 'network_error', err instanceof Error ? err.message : String(err));
        });
      } catch (err) {
        if (err instanceof BridgeFailure) fail(answer, err.code, err.message);
      }
    };
    addEventListener('message', onMessage);
    return () => removeEventListener('message', onMessage);
  }, [program]);

  async function open(method: 'getAuthCode' | 'requestPayment' | 'getLocation', params: Record<string, unknown>, answer: Answer): Promise<void> {
    setError(null);
    setBusy(false);
    if (method === 'getLocation') return setSheet({ kind: 'location', answer });
    if (method === 'requestPayment') {
      const checked = paymentParams(params);
      const accounts = (await api.accounts()).items;
      return setSheet({ kind: 'pay', params: checked, accounts, answer, payment_id: crypto.randomUUID() });
    }
    const checked = authCodeParams(params);
    const accounts = (await api.accounts()).items;
    setSheet({ kind: 'auth', params: checked, accounts, answer });
  }

  const close = () => {
    setSheet(null);
    setBusy(false);
    setError(null);
  };

  async function pay(s: Extract<SheetState, { kind: 'pay' }>, from_account_id: string) {
    setBusy(true);
    setError(null);
    try {
      // The same payment id on a retry: the server answers the first outcome, never pays twice.
      const result = await miniApi.pay(program.client_id, { id: s.payment_id, from_account_id, amount_minor: s.params.amount_minor, currency: s.params.currency, reference: s.params.reference });
      close();
      if (result.status === 'rejected') return fail(s.answer, 'payment_failed', `the bank refused the payment (${result.reason_code ?? 'rejected'})`);
      s.answer({ ok: true, result });
    } catch (err) {
      setBusy(false);
      setError(err);
    }
  }

  async function authorise(s: Extract<SheetState, { kind: 'auth' }>, account_ids: string[]) {
    setBusy(true);
    setError(null);
    try {
      const result = await miniApi.authCode(program.client_id, {
        scope: s.params.scope,
        account_ids,
        code_challenge: s.params.code_challenge,
        code_challenge_method: 'S256',
        ...(s.params.redirect_uri ? { redirect_uri: s.params.redirect_uri } : {}),
      });
      close();
      s.answer({ ok: true, result });
    } catch (err) {
      if (err instanceof ApiError && err.status >= 400 && err.status < 500 && err.code !== 'consent_accounts_invalid' && err.code !== 'consent_account_not_owned') {
        close();
        return fail(s.answer, 'auth_failed', err.message);
      }
      setBusy(false);
      setError(err);
    }
  }

  function locate(answer: Answer) {
    close();
    if (!('geolocation' in navigator)) return fail(answer, 'location_unavailable', 'this device cannot tell its location');
    navigator.geolocation.getCurrentPosition(
      (p) => answer({ ok: true, result: { latitude: coarse(p.coords.latitude), longitude: coarse(p.coords.longitude), accuracy_m: Math.max(1000, Math.round(p.coords.accuracy)) } }),
      (e) => fail(answer, 'location_unavailable', e.message || 'the location is not available'),
      { enableHighAccuracy: false, timeout: 15_000, maximumAge: 600_000 },
    );
  }

  const cancelled = (answer: Answer, after_failure = false) => {
    close();
    if (after_failure) fail(answer, 'payment_failed', error instanceof Error ? error.message : 'the payment did not go through');
    else fail(answer, 'user_cancelled', 'the customer said no');
  };

  return (
    <div class="mp-host">
      <iframe
        ref={frame}
        class="mp-frame"
        src={program.entry_url}
        title={say('frame_title', { name: program.name, partner: program.partner_name })}
        sandbox="allow-scripts allow-forms"
        referrerpolicy="no-referrer"
        allow=""
        data-mini-program={program.slug}
        onLoad={() => {
          // Another page in the frame (it navigated): answers owed to the one before are dropped, its sheet closed.
          if (loaded) {
            generation.current += 1;
            sheetOpen.current = false;
            close();
          }
          setLoaded(true);
        }}
      />
      {sheet?.kind === 'pay' && (
        <PaymentSheet program={program} params={sheet.params} accounts={sheet.accounts} busy={busy} error={error} onConfirm={(from) => void pay(sheet, from)} onCancel={() => cancelled(sheet.answer, error !== null)} />
      )}
      {sheet?.kind === 'auth' && (
        <AuthSheet program={program} scope={sheet.params.scope} accounts={sheet.accounts} busy={busy} error={error} onAllow={(ids) => void authorise(sheet, ids)} onDeny={() => cancelled(sheet.answer)} />
      )}
      {sheet?.kind === 'location' && <LocationSheet program={program} onAllow={() => locate(sheet.answer)} onDeny={() => cancelled(sheet.answer)} />}
    </div>
  );
}
