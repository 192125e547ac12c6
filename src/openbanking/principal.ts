/**
 * Who is calling an open-banking route, as the access-token guard (oauth-guard.ts) found
 * it: the partner app, the scopes the token carries, and for a customer's token the
 * customer and the consent it was issued under. Routes read `req.partner`.
 */
export const PARTNER_SCOPES = ['accounts', 'payments', 'funds_confirmation', 'envelopes', 'loans', 'risk'] as const;
export type PartnerScope = (typeof PARTNER_SCOPES)[number];

export type AppMode = 'sandbox' | 'live';

export interface PartnerPrincipal {
  client_id: string;
  mode: AppMode;
  scopes: PartnerScope[];
  /** The token's id (jti), for logs and revocation. */
  token_id: string;
  /** Set for tokens from the authorization-code flow: the customer who consented. */
  customer_id?: string;
  /** Set with customer_id: the consent the token was issued under. */
  consent_id?: string;
}

/** What a route needs from the caller, in its Fastify config (`config: { partner: … }`). */
export interface PartnerRouteRequirement {
  /** The scope the token must hold, or a list of which any one will do. */
  scope: PartnerScope | readonly PartnerScope[];
  /** `customer`: a token from a customer's consent; `client`: the app's own (client credentials). */
  token: 'customer' | 'client' | 'either';
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** An open-banking route: authenticated by an OAuth access token instead of an API key. */
    partner?: PartnerRouteRequirement;
  }
  interface FastifyRequest {
    partner?: PartnerPrincipal;
  }
}
