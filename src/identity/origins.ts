/**
 * Which origin (and so which WebAuthn RP ID) a ceremony belongs to. A passkey is bound to
 * the RP ID it was made for, and the browser reports the page's origin in clientDataJSON;
 * we check it against the origin chosen when the flow started, which must be one this
 * server is configured to serve — never an origin a request merely claims.
 *
 * Allowed: PUBLIC_URL's origin and WEBAUTHN_ORIGINS. When the server is a local one
 * (PUBLIC_URL unset or on localhost / 127.0.0.1) both http://localhost:<port> and
 * http://127.0.0.1:<port> of the listening port are allowed too, so a demo works from
 * either address. (Browsers refuse IP addresses as RP IDs: use localhost in a browser.)
 */
import type { AddressInfo } from 'node:net';
import type { FastifyInstance, FastifyRequest } from 'fastify';

export interface RelyingParty {
  rp_id: string;
  origin: string;
}

const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

export class Origins {
  constructor(
    private readonly app: FastifyInstance,
    private readonly public_url: string | undefined,
    private readonly extra: readonly string[],
  ) {}

  allowed(): string[] {
    const list = new Set<string>();
    if (this.public_url) list.add(new URL(this.public_url).origin);
    for (const o of this.extra) list.add(o);
    const local = !this.public_url || LOCAL_HOSTS.has(new URL(this.public_url).hostname);
    const address = this.app.server.address() as AddressInfo | null;
    if (local && address && typeof address === 'object') {
      list.add(`http://localhost:${address.port}`);
      list.add(`http://127.0.0.1:${address.port}`);
    }
    return [...list];
  }

  /** The request's own origin (Origin header, else scheme + Host) when allowed; else the first allowed one. */
  forRequest(req: FastifyRequest): RelyingParty {
    const allowed = this.allowed();
    if (allowed.length === 0) throw new Error('no WebAuthn origin: set PUBLIC_URL or WEBAUTHN_ORIGINS');
    const claimed = [req.headers.origin, req.headers.host ? `${req.protocol}://${req.headers.host}` : undefined];
    const origin = claimed.find((o): o is string => typeof o === 'string' && allowed.includes(o)) ?? allowed[0]!;
    const hostname = new URL(origin).hostname;
    return { origin, rp_id: hostname.replace(/^\[|\]$/g, '') };
  }

  secure(origin: string): boolean {
    return origin.startsWith('https:');
  }
}
