/**
 * Mini-programs: partners' small apps inside the app (docs/mini-programs.md). `mini-programs`
 * lists the live ones; `mini-programs/<slug>` hosts one in a sandboxed frame with the bridge.
 */
import { useEffect, useState } from 'preact/hooks';
import { navigate } from '../../router';
import { ErrorNote, Title, useReady } from '../../ui';
import { miniApi, type MiniProgramItem } from './client';
import { Host } from './host';
import { say } from './text';
import './mini-programs.css';

export function Screen({ path }: { path: string }) {
  const slug = path.startsWith('mini-programs/') ? decodeURIComponent(path.slice('mini-programs/'.length)) : null;
  const [items, setItems] = useState<MiniProgramItem[] | undefined>();
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    miniApi.list().then((r) => setItems(r.items), setError);
  }, []);
  if (slug) {
    const program = items?.find((m) => m.slug === slug);
    return (
      <section class="screen mp-screen">
        <div class="mp-bar">
          <button type="button" class="small secondary" onClick={() => navigate('mini-programs')} aria-label={say('back')}>
            ← {say('close')}
          </button>
          {program && <Title>{program.name}</Title>}
        </div>
        <ErrorNote error={error} />
        {items && !program && <p role="alert">{say('not_found')}</p>}
        {program && <Host program={program} key={program.client_id} />}
      </section>
    );
  }
  return <List items={items} error={error} />;
}

function List({ items, error }: { items: MiniProgramItem[] | undefined; error: unknown }) {
  useReady('mini-programs', items !== undefined || error !== null);
  return (
    <section class="screen">
      <Title>{say('title')}</Title>
      <p class="note">{say('intro')}</p>
      <ErrorNote error={error} />
      {items && items.length === 0 && <p>{say('none')}</p>}
      {items && items.length > 0 && (
        <ul class="mp-list">
          {items.map((m) => (
            <li key={m.client_id}>
              <a
                class="mp-item"
                href={`/app/mini-programs/${encodeURIComponent(m.slug)}`}
                aria-label={say('open', { name: m.name })}
                onClick={(e) => {
                  e.preventDefault();
                  navigate(`mini-programs/${encodeURIComponent(m.slug)}`);
                }}
              >
                <img src={m.icon_url} alt="" width={48} height={48} />
                <span>
                  <span class="mp-name">{m.name}</span>
                  <span class="mp-partner">{say('by', { partner: m.partner_name })}</span>
                </span>
              </a>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
