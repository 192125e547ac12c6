/** "My red envelopes": what I sent, newest first, a page at a time, and the way to send one. */
import { useEffect, useState } from 'preact/hooks';
import { navigate } from '../../router';
import { ErrorNote, Money, Title, formatDate, useReady } from '../../ui';
import { envelopesApi, type EnvelopeSummary } from './client';
import { say } from './text';

export const statusText = (status: EnvelopeSummary['status']): string =>
  say(status === 'empty' ? 'status_empty' : status === 'expired' ? 'status_expired' : 'status_open');

export function EnvelopeList() {
  const [items, setItems] = useState<EnvelopeSummary[]>();
  const [next, setNext] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  useReady('envelopes', items !== undefined || error !== undefined);

  async function load(cursor?: string) {
    setBusy(true);
    try {
      const page = await envelopesApi.list(cursor);
      setItems((before) => [...(cursor ? (before ?? []) : []), ...page.items]);
      setNext(page.next_cursor);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  useEffect(() => {
    void load();
  }, []);

  return (
    <section class="screen envelopes">
      <Title>{say('title')}</Title>
      <button type="button" class="primary envelope-send" onClick={() => navigate('envelopes/new')}>
        {say('send_new')}
      </button>
      <h2>{say('mine')}</h2>
      <ErrorNote error={error} />
      {items && items.length === 0 && <p class="note">{say('none_yet')}</p>}
      <ul class="envelope-list" aria-label={say('mine')}>
        {items?.map((e) => (
          <li key={e.id}>
            <a
              href={`/app/envelopes/${e.id}`}
              data-envelope-id={e.id}
              onClick={(ev) => {
                ev.preventDefault();
                navigate(`envelopes/${e.id}`);
              }}
            >
              <span class="envelope-greeting">{e.greeting || say('greeting_default')}</span>
              <span class="envelope-meta">
                {formatDate(e.created_at)} · {e.mode === 'random' ? say('lucky') : say('equal')} · {say('claimed', { n: String(e.claimed_count), m: String(e.share_count) })}
              </span>
              <span class="envelope-total">
                <Money minor={e.total_amount_minor} currency={e.currency} />
                <span class={`envelope-status status-${e.status}`}>{statusText(e.status)}</span>
              </span>
            </a>
          </li>
        ))}
      </ul>
      {next && (
        <button type="button" class="secondary" disabled={busy} onClick={() => void load(next)}>
          {say('load_more')}
        </button>
      )}
    </section>
  );
}
