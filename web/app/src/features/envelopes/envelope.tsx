/**
 * One envelope. The sender sees the share screen (link, QR code, who got what). Anyone else
 * came by its link: a closed envelope with an "Open" button; opening grabs a share and
 * reveals the amount (CSS animation, none under prefers-reduced-motion), then who got what.
 */
import { useEffect, useState } from 'preact/hooks';
import { ApiError } from '../../api';
import { navigate } from '../../router';
import { formatMoney } from '../../money';
import { QrCode } from '../../qr-view';
import { ErrorNote, Money, Title, formatDate, useReady } from '../../ui';
import { envelopesApi, type EnvelopeDetail, type GrabResult } from './client';
import { statusText } from './list';
import { say } from './text';

type Phase = 'closed' | 'opening' | 'revealed';

const tokenFromLink = (): string | null => new URLSearchParams(location.search).get('token');

export function EnvelopeScreen({ id }: { id: string }) {
  const [token] = useState(tokenFromLink);
  const [envelope, setEnvelope] = useState<EnvelopeDetail>();
  const [error, setError] = useState<unknown>();
  const [phase, setPhase] = useState<Phase>('closed');
  const [grab, setGrab] = useState<GrabResult>();
  const [refusal, setRefusal] = useState<string>();
  useReady('envelope', envelope !== undefined || error !== undefined);

  async function load() {
    try {
      setEnvelope(await envelopesApi.get(id, token));
    } catch (err) {
      setError(err);
    }
  }

  useEffect(() => {
    void load();
  }, [id]);

  async function open() {
    if (!envelope || !token || phase !== 'closed') return;
    setPhase('opening');
    setRefusal(undefined);
    try {
      const got = await envelopesApi.grab(envelope.id, token);
      setGrab(got);
      setPhase('revealed');
    } catch (err) {
      setPhase('closed');
      const code = err instanceof ApiError ? err.code : '';
      if (code === 'envelope_empty') setRefusal(say('too_late_empty'));
      else if (code === 'envelope_expired') setRefusal(say('too_late_expired'));
      else if (code === 'already_grabbed') setRefusal(say('already_grabbed'));
      else setError(err);
    }
    await load();
  }

  if (error && !envelope) {
    const notFound = error instanceof ApiError && error.code === 'envelope_not_found';
    return (
      <section class="screen">
        <Title>{say('title')}</Title>
        {notFound ? (
          <p class="error" role="alert">
            {say('not_found')}
          </p>
        ) : (
          <ErrorNote error={error} />
        )}
        <BackToList />
      </section>
    );
  }
  if (!envelope) return <p aria-busy="true">…</p>;
  if (envelope.sent_by_me) return <ShareScreen envelope={envelope} />;

  // What I got: this grab, or one made before (opening the link again shows it opened).
  const mine = grab?.amount_minor ?? envelope.my_grab?.amount_minor;
  const state = phase === 'revealed' ? 'revealed' : mine ? 'opened' : phase === 'opening' ? 'opening' : envelope.status !== 'open' || refusal ? 'too-late' : 'closed';
  const canOpen = state === 'closed' && token !== null;

  return (
    <section class="screen envelope-screen" data-envelope-state={state}>
      <Title>{say('from_sender', { name: envelope.sender_name })}</Title>
      <div class={`envelope-card ${state}`}>
        <div class="envelope-flap" aria-hidden="true" />
        <p class="envelope-card-greeting">{envelope.greeting}</p>
        <div class="envelope-letter" aria-live="polite">
          {mine && (
            <>
              <span class="envelope-you-got">{say('you_got')}</span>
              <span class="envelope-amount" data-testid="grab-amount">
                {formatMoney(mine, envelope.currency)}
              </span>
              <span class="envelope-paid">{say('into_account')}</span>
            </>
          )}
        </div>
        {(state === 'closed' || state === 'opening') && (
          <button
            type="button"
            class="envelope-open"
            aria-label={say('open_label', { name: envelope.sender_name })}
            disabled={!canOpen}
            aria-busy={state === 'opening' ? 'true' : undefined}
            onClick={() => void open()}
          >
            <span aria-hidden="true">{state === 'opening' ? '…' : say('open')}</span>
          </button>
        )}
      </div>
      {state === 'too-late' && (
        <p class="note envelope-refusal" role="status">
          {refusal ?? (envelope.status === 'expired' ? say('too_late_expired') : say('too_late_empty'))}
        </p>
      )}
      <ErrorNote error={error} />
      <Figures envelope={envelope} />
      <WhoGotWhat envelope={envelope} />
      <BackToList />
    </section>
  );
}

function ShareScreen({ envelope }: { envelope: EnvelopeDetail }) {
  const link = new URL(envelope.share_link ?? `/app/envelopes/${envelope.id}`, location.origin).href;
  const [copied, setCopied] = useState(false);
  const canShare = typeof navigator.share === 'function';
  return (
    <section class="screen envelope-screen share" data-envelope-state="share">
      <Title>{say('share_title')}</Title>
      <p class="note">{say('share_note')}</p>
      <div class="envelope-qr">
        <QrCode text={link} label={say('qr_label')} />
      </div>
      <div class="field">
        <label for="envelope_link">{say('link_label')}</label>
        <input id="envelope_link" readOnly value={link} data-testid="share-link" onFocus={(e) => (e.currentTarget as HTMLInputElement).select()} />
      </div>
      <div class="card-actions">
        <button
          type="button"
          class="secondary small"
          onClick={() =>
            navigator.clipboard?.writeText(link).then(
              () => setCopied(true),
              () => setCopied(false),
            )
          }
        >
          {say('copy')}
        </button>
        {canShare && (
          <button type="button" class="secondary small" onClick={() => void navigator.share({ title: envelope.greeting, url: link }).catch(() => {})}>
            {say('share')}
          </button>
        )}
      </div>
      {copied && (
        <p class="note" role="status">
          {say('copied')}
        </p>
      )}
      <Figures envelope={envelope} />
      <WhoGotWhat envelope={envelope} />
      <BackToList />
    </section>
  );
}

function Figures({ envelope }: { envelope: EnvelopeDetail }) {
  return (
    <dl class="summary envelope-figures">
      <div>
        <dt>{envelope.mode === 'random' ? say('lucky') : say('equal')}</dt>
        <dd data-testid="envelope-claimed">
          {say('claimed', { n: String(envelope.claimed_count), m: String(envelope.share_count) })} · <Money minor={envelope.total_amount_minor} currency={envelope.currency} />
        </dd>
      </div>
      <div>
        <dt>{say('left')}</dt>
        <dd>
          <Money minor={envelope.remaining_amount_minor} currency={envelope.currency} /> · {statusText(envelope.status)}
        </dd>
      </div>
      {envelope.refunded_amount_minor !== '0' && (
        <div>
          <dt>{say('refunded')}</dt>
          <dd>
            <Money minor={envelope.refunded_amount_minor} currency={envelope.currency} />
          </dd>
        </div>
      )}
      <div>
        <dt>{say('expires')}</dt>
        <dd>{formatDate(envelope.expires_at)}</dd>
      </div>
    </dl>
  );
}

function WhoGotWhat({ envelope }: { envelope: EnvelopeDetail }) {
  return (
    <>
      <h2 id="who-got-what">{say('who_got_what')}</h2>
      {envelope.grabs.length === 0 && <p class="note">{say('nobody_yet')}</p>}
      <ol class="grab-list" aria-labelledby="who-got-what">
        {envelope.grabs.map((g) => (
          <li key={g.position} class={g.mine ? 'mine' : undefined} data-position={g.position}>
            <span class="grab-name">
              {g.name}
              {g.mine && ` (${say('you')})`}
            </span>
            <span class="grab-date">{formatDate(g.grabbed_at)}</span>
            <span class="grab-amount">
              <Money minor={g.amount_minor} currency={envelope.currency} />
              {g.luckiest && <span class="badge luckiest">{say('luckiest')}</span>}
            </span>
          </li>
        ))}
      </ol>
    </>
  );
}

function BackToList() {
  return (
    <button type="button" class="link" onClick={() => navigate('envelopes')}>
      {say('back_to_list')}
    </button>
  );
}
