/** @capillary/sdk: the TypeScript SDK for partners of a Capillary bank. */
export { CapillaryClient, type CapillaryClientOptions, type CustomerOptions } from './client.js';
export {
  OAuthClient,
  CustomerSession,
  createPkce,
  randomState,
  type ServerMetadata,
  type TokenResponse,
  type TokenSet,
  type PendingAuthorization,
  type AuthorizationRequest,
  type Pkce,
} from './oauth.js';
export { ClientAuthenticator, CLIENT_ASSERTION_TYPE, type ClientAuthConfig } from './client-auth.js';
export { DpopSigner, publicJwkOf, type DpopKeyInput } from './dpop.js';
export { CapillaryError, CapillaryApiError, CapillaryOAuthError, CapillaryNetworkError, errorFromResponse, type Problem } from './errors.js';
export { DEFAULT_RETRY, RETRYABLE_STATUSES, backoffDelay, parseRetryAfter, retryDecision, type RetryPolicy, type AttemptOutcome, type RetryDecision } from './retry.js';
export { Transport, type TransportOptions, type RetryInfo } from './transport.js';
export { paginate, pages, collect, type Page, type IterateOptions } from './pagination.js';
export {
  verifyWebhook,
  parseWebhook,
  WebhookSignatureError,
  SIGNATURE_HEADER,
  EVENT_ID_HEADER,
  EVENT_TOPIC_HEADER,
  DEFAULT_TOLERANCE_SECONDS,
  type VerifyWebhookOptions,
  type WebhookVerification,
  type WebhookEvent,
  type PaymentEventData,
} from './webhooks.js';
export * from './resources.js';
export type { Route, JsonBody, FormBody, Query, PathParams, JsonResponse, Success } from './types.js';
export type { paths, Routes } from './generated/openapi.js';
export { ROUTES } from './generated/openapi.js';
export { uuidv4, uuidv7 } from './ids.js';
