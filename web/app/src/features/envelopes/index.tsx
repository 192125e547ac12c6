/**
 * Red envelopes: send one (lucky or equal, with a confirmation step), share its link and QR
 * code, open a link and grab a share with a reveal, see who got what, and my sent envelopes.
 * Routes: `envelopes` (my list), `envelopes/new`, `envelopes/<id>?token=…` (a share link).
 */
import './envelopes.css';
import { EnvelopeList } from './list';
import { SendEnvelope } from './send';
import { EnvelopeScreen } from './envelope';

const ID = /^envelopes\/([0-9a-fA-F-]{36})$/;

export function Screen({ path }: { path: string }) {
  if (path === 'envelopes/new') return <SendEnvelope />;
  const id = ID.exec(path)?.[1];
  if (id) return <EnvelopeScreen id={id.toLowerCase()} key={id} />;
  return <EnvelopeList />;
}
