/**
 * RFC 9457 problem details with a stable machine `code`. Every code the API can return is
 * in ERROR_CATALOG (docs/errors.md is checked against it by a test), with its HTTP status.
 */
import { TRANSFER_ERROR_CODES } from '../ledger/types.js';

export interface FieldError {
  field: string;
  message: string;
}

interface CatalogEntry {
  status: number;
  title: string;
}

const transferStatus = (code: (typeof TRANSFER_ERROR_CODES)[number]): number => {
  if (code === 'account_not_found' || code === 'pending_transfer_not_found') return 404;
  if (code === 'exists_with_different_fields') return 409;
  if (code === 'pending_transfer_already_posted' || code === 'pending_transfer_already_voided' || code === 'pending_transfer_expired') return 409;
  if (['amount_must_be_positive', 'flags_unknown', 'code_out_of_range', 'timeout_out_of_range'].includes(code)) return 400;
  if (code.endsWith('_required') || code.startsWith('pending_id_') || code === 'flags_are_mutually_exclusive') return 400;
  if (code === 'timeout_reserved_for_pending_transfer' || code === 'linked_event_chain_open') return 400;
  return 422;
};

const humanise = (code: string): string => code.charAt(0).toUpperCase() + code.slice(1).replace(/_/g, ' ');

export const ERROR_CATALOG: Record<string, CatalogEntry> = {
  // request shape, auth and platform
  invalid_request: { status: 400, title: 'The request does not match the schema' },
  malformed_json: { status: 400, title: 'The body is not valid JSON' },
  invalid_cursor: { status: 400, title: 'The pagination cursor is not one this API issued' },
  unauthorized: { status: 401, title: 'Missing or invalid API key' },
  insufficient_scope: { status: 403, title: 'The API key lacks the scope this route needs' },
  invalid_token: { status: 401, title: 'Missing, invalid, expired or revoked OAuth access token' },
  invalid_dpop_proof: { status: 401, title: 'The DPoP proof is missing, invalid or does not match the DPoP-bound access token' },
  not_found: { status: 404, title: 'No such route' },
  body_too_large: { status: 413, title: 'The body exceeds the size limit of this route' },
  unsupported_media_type: { status: 415, title: 'Send application/json' },
  overloaded: { status: 503, title: 'The write queue is full; retry after the indicated delay' },
  unavailable: { status: 503, title: 'The service is starting or stopping' },
  internal_error: { status: 500, title: 'Internal error' },
  // Idempotency-Key and rate limits (src/server/idempotency*.ts, rate-limit*.ts)
  invalid_idempotency_key: { status: 400, title: 'Idempotency-Key must be 1 to 255 printable ASCII characters' },
  idempotency_key_reused: { status: 422, title: 'The Idempotency-Key was used for a different request (method, path or body)' },
  idempotency_request_in_progress: { status: 409, title: 'A request with this Idempotency-Key is still running' },
  rate_limited: { status: 429, title: 'Rate limit exceeded; retry after the indicated delay' },
  // open banking: partner apps, customers, consents, payments (docs/open-banking.md)
  invalid_redirect_uri: { status: 400, title: 'A redirect URI is not an absolute https URL (http only for localhost), has a fragment or credentials' },
  invalid_webhook_url: { status: 400, title: 'The webhook URL is not an absolute https URL (http only for localhost), or has a fragment or credentials' },
  unknown_partner_scope: { status: 400, title: 'A scope is not one of the partner scopes' },
  invalid_jwks: { status: 400, title: 'The JWKS is not a set of public signing keys (private members, bad key, duplicate kid) or does not fit the auth method' },
  partner_app_not_found: { status: 404, title: 'Partner app not found' },
  partner_app_disabled: { status: 403, title: 'The partner app is disabled' },
  // mini-programs (docs/mini-programs.md)
  invalid_mini_program: { status: 400, title: 'The mini-program registration is not valid (slug, name, icon, entry path, bridge scopes, merchant account, connect origins)' },
  mini_program_slug_taken: { status: 409, title: "Another partner app's mini-program uses this slug" },
  mini_program_not_found: { status: 404, title: 'Mini-program not found (or not live for this customer)' },
  bridge_scope_not_granted: { status: 403, title: 'The mini-program is not registered for this bridge scope' },
  secret_not_applicable: { status: 409, title: 'The app has no such secret (no client secret with private_key_jwt, no webhook secret without a webhook URL)' },
  customer_not_found: { status: 404, title: 'Customer not found' },
  customer_disabled: { status: 403, title: 'The customer is disabled' },
  account_already_linked: { status: 409, title: 'The account is linked to another customer' },
  idempotency_key_required: { status: 400, title: 'This route needs an Idempotency-Key header' },
  consent_not_found: { status: 404, title: 'Consent not found' },
  consent_permissions_invalid: { status: 400, title: 'A permission does not belong to the consent kind' },
  consent_expiry_out_of_range: { status: 400, title: 'expires_at is not between 10 minutes and the kind\'s maximum ahead' },
  consent_payment_terms_invalid: { status: 400, title: 'Payment terms are missing, misplaced or inconsistent' },
  consent_not_awaiting_authorisation: { status: 409, title: 'The consent is no longer awaiting authorisation' },
  consent_accounts_invalid: { status: 422, title: 'The chosen accounts do not fit the consent' },
  consent_account_not_owned: { status: 422, title: "A chosen account is not one of the customer's" },
  consent_mode_mismatch: { status: 403, title: 'Sandbox apps work only with sandbox customers, live apps only with live ones' },
  consent_not_revocable: { status: 409, title: 'The consent is rejected or expired: there is nothing to revoke' },
  consent_invalid: { status: 403, title: 'The token is not bound to a consent of this app and customer' },
  consent_revoked: { status: 403, title: 'The consent was revoked' },
  consent_expired: { status: 403, title: 'The consent has expired' },
  consent_not_authorised: { status: 403, title: 'The consent is not authorised' },
  consent_kind_mismatch: { status: 403, title: 'The consent is of another kind than this call needs' },
  consent_permission_missing: { status: 403, title: 'The consent does not include the permission this call needs' },
  consent_account_not_included: { status: 403, title: 'The account is not one the customer shared under the consent' },
  consent_limit_exceeded: { status: 422, title: "The payment would take the consent past its amount limit" },
  payment_amount_above_consent: { status: 422, title: "The payment is above the consent's per-payment maximum" },
  payment_currency_mismatch: { status: 422, title: "The payment's currency is not the consent's" },
  payment_creditor_not_allowed: { status: 422, title: 'The consent allows payments only to its named creditor account' },
  payment_not_found: { status: 404, title: 'Payment not found' },
  risk_review_expired: { status: 422, title: 'The payment was held for risk review and the hold expired undecided' },
  // webhook deliveries (src/events/)
  webhook_delivery_not_found: { status: 404, title: 'Webhook delivery not found' },
  webhook_not_configured: { status: 409, title: 'The partner app is disabled or has no webhook URL: nothing to send to' },
  // accounts
  account_not_found: { status: 404, title: 'Account not found' },
  transfer_not_found: { status: 404, title: 'Transfer not found' },
  transfer_code_reserved: { status: 422, title: "The transfer code is reserved for one of the platform's own domains" },
  api_key_not_found: { status: 404, title: 'API key not found' },
  // staff (docs/console.md)
  staff_token_required: { status: 403, title: 'This route needs a staff session token, not an API key' },
  staff_email_taken: { status: 409, title: 'A staff member with this email exists' },
  staff_not_found: { status: 404, title: 'Staff member not found' },
  staff_self_change: { status: 409, title: 'An admin cannot change their own role or status' },
  unknown_currency: { status: 422, title: 'Unknown ISO 4217 currency code' },
  account_closed: { status: 409, title: 'The account is closed' },
  account_frozen: { status: 409, title: 'The account is frozen' },
  account_not_frozen: { status: 409, title: 'The account is not frozen' },
  account_balance_not_zero: { status: 409, title: 'An account can be closed only with a zero posted balance' },
  history_not_enabled: { status: 409, title: 'The account was not created with the history flag' },
  // risk
  risk_blocked: { status: 422, title: 'The risk engine refused this transfer' },
  unknown_event_type: { status: 400, title: 'Unknown event type (payment, login, beneficiary_added, loan_application or custom.<name>)' },
  decision_not_found: { status: 404, title: 'Risk decision not found' },
  invalid_rule_set: { status: 422, title: 'A rule does not compile; errors name the rule, line and column' },
  rule_set_not_found: { status: 404, title: 'Rule set (version) not found' },
  list_entry_not_found: { status: 404, title: 'List entry not found' },
  invalid_model: { status: 422, title: 'The model does not load' },
  model_not_found: { status: 404, title: 'Model version not found' },
  onnx_invalid_encoding: { status: 422, title: 'onnx_base64 is not base64' },
  onnx_model_too_large: { status: 413, title: 'The ONNX model exceeds 8 MiB' },
  onnx_load_failed: { status: 422, title: 'onnxruntime cannot load or run the ONNX model' },
  onnx_input_unsupported: { status: 422, title: 'The ONNX model needs one float32 input of shape [N, k]' },
  onnx_feature_names_mismatch: { status: 422, title: 'feature_names does not name one context key per input column' },
  onnx_output_unsupported: { status: 422, title: 'The ONNX model has no usable probability output' },
  onnx_score_out_of_range: { status: 422, title: 'The ONNX model output is not a probability in [0, 1]' },
  onnx_runtime_unavailable: { status: 503, title: 'onnxruntime-node does not load on this server' },
  case_not_found: { status: 404, title: 'Risk case not found' },
  case_closed: { status: 409, title: 'The case is already approved or rejected' },
  backtest_not_found: { status: 404, title: 'Backtest job not found' },
  backtest_queue_full: { status: 503, title: 'Too many backtests wait in this process; retry later' },
  graph_node_not_found: { status: 404, title: 'The node is not in the risk graph' },
  transfer_not_settled: { status: 409, title: "The case's held transfer could not be posted or voided" },
  invalid_feature_catalogue: { status: 400, title: 'A velocity feature definition is invalid; field names it' },
  feature_in_use: { status: 409, title: 'A rule set or model in use reads a velocity feature the catalogue would drop' },
  catalogue_rebuilding: { status: 409, title: 'The velocity features are being rebuilt for a catalogue change; retry when it is done' },
  // lending: products, applications, loans (docs/lending.md)
  invalid_loan_product: { status: 400, title: 'A loan product field breaks a rule; field names it' },
  loan_product_not_found: { status: 404, title: 'Loan product (version) not found' },
  loan_product_retired: { status: 409, title: 'The loan product is retired: it takes no new applications' },
  loan_application_not_found: { status: 404, title: 'Loan application not found' },
  application_not_approved: { status: 409, title: 'Only an approved application can be accepted' },
  application_already_accepted: { status: 409, title: 'The offer was already accepted with another amount or term' },
  application_not_referred: { status: 409, title: 'Only a referred application can be reviewed' },
  offer_expired: { status: 409, title: 'The offer has expired; apply again' },
  outside_offer: { status: 422, title: 'The amount or term is outside the offer' },
  loan_not_found: { status: 404, title: 'Loan not found' },
  loan_not_active: { status: 409, title: 'The loan is closed or written off' },
  repayment_exceeds_payoff: { status: 422, title: 'The repayment is more than everything the loan owes' },
  repayment_account_mismatch: { status: 422, title: 'A loan is repaid from the account it was paid into' },
  not_a_credit_line: { status: 409, title: 'The loan is not a revolving credit line' },
  credit_line_closed: { status: 409, title: 'The credit line is closed, written off or past its maturity: nothing can be drawn' },
  credit_line_in_arrears: { status: 409, title: 'A statement of the credit line is past due: pay it before drawing again' },
  credit_limit_exceeded: { status: 422, title: 'The drawdown is more than the credit line has available' },
  not_applicable_to_credit_line: { status: 409, title: 'A revolving credit line is not restructured' },
  loan_not_written_off: { status: 409, title: 'Recoveries are for written-off loans' },
  recovery_exceeds_written_off: { status: 422, title: 'The recovery is more than the write-off cleared, less what was recovered before' },
  early_repayment_not_allowed: { status: 422, title: 'The product does not allow early repayment' },
  early_repayment_too_soon: { status: 422, title: 'Early repayment is not allowed yet' },
  prepayment_out_of_range: { status: 422, title: 'The prepayment repays no principal, or all of it (that is the payoff)' },
  prepayment_amount_inexact: { status: 422, title: 'The amount is not principal plus its early-repayment fee and accrued interest exactly' },
  payoff_amount_changed: { status: 409, title: 'The payoff amount is no longer the one sent' },
  quote_date_out_of_range: { status: 400, title: 'A payoff quote is for today up to 366 days ahead' },
  nothing_outstanding: { status: 409, title: 'No principal is outstanding to restructure' },
  term_out_of_range: { status: 422, title: 'The new term is outside 1..600 periods' },
  date_before_start: { status: 422, title: "The date is before the loan's schedule starts" },
  cob_behind: { status: 409, title: 'Too many days of interest are not accrued; run the close of business first' },
  // close of business and portfolio (docs/lending.md)
  cob_run_not_found: { status: 404, title: 'COB has not started that business date' },
  cob_already_running: { status: 409, title: 'A COB run started by this server is still going' },
  cob_run_in_progress: { status: 409, title: 'Another process holds the business date and is still making progress' },
  cob_date_in_future: { status: 422, title: 'The business date has not ended yet' },
  cob_catch_up_too_long: { status: 422, title: 'One COB run closes at most 366 business dates' },
  cob_from_date_after_through: { status: 422, title: 'from_date is after through_date' },
  // red envelopes
  envelope_not_found: { status: 404, title: 'Red envelope not found' },
  envelope_empty: { status: 409, title: 'Every share of the red envelope has been grabbed' },
  envelope_expired: { status: 409, title: 'The red envelope has expired' },
  already_grabbed: { status: 409, title: 'The customer already grabbed this envelope into another account' },
  not_in_audience: { status: 403, title: 'The customer may not grab this envelope (not in its audience, or wrong link token)' },
  envelope_shares_out_of_range: { status: 400, title: 'share_count must be between 1 and 10,000' },
  envelope_amount_too_small: { status: 422, title: 'total_amount is less than one minor unit per share' },
  envelope_amount_not_divisible: { status: 422, title: 'An equal-mode envelope needs total_amount divisible by share_count' },
  envelope_expiry_out_of_range: { status: 400, title: 'expires_in_seconds is outside the allowed range' },
  envelope_audience_too_large: { status: 400, title: 'The audience names more customers than allowed' },
  customer_group_not_found: { status: 404, title: 'Customer group not found' },
  // customer identity and the customer app's API (docs/app-api.md)
  client_header_required: { status: 403, title: 'A write authenticated by the session cookie must send X-Capillary-Client: app' },
  sign_in_refused: { status: 403, title: 'The bank refused this sign-in (risk decision, or the customer is disabled)' },
  webauthn_flow_invalid: { status: 400, title: 'The passkey flow is unknown, expired or already used; start again' },
  webauthn_verification_failed: { status: 400, title: 'The passkey response did not verify (origin, challenge, signature, counter or unknown passkey)' },
  phone_already_registered: { status: 409, title: 'A customer with this phone number exists' },
  otp_invalid: { status: 400, title: 'The one-time code is wrong or was already used' },
  otp_expired: { status: 400, title: 'The one-time code has expired' },
  otp_locked: { status: 403, title: 'Too many wrong codes for this one-time code; ask for a new one' },
  recipient_not_found: { status: 404, title: 'No account or customer to send the money to' },
  payee_not_found: { status: 404, title: 'Payee not found' },
  insufficient_funds: { status: 422, title: 'Not enough available money in the account; nothing was moved' },
  // transfers (and the shared ones above)
  ...Object.fromEntries(
    TRANSFER_ERROR_CODES.filter((c) => !['account_not_found', 'account_closed', 'account_frozen'].includes(c)).map((code) => [
      code,
      { status: transferStatus(code), title: humanise(code) },
    ]),
  ),
};

export type ErrorCode = keyof typeof ERROR_CATALOG;

export class ProblemError extends Error {
  readonly status: number;
  constructor(
    readonly code: string,
    detail?: string,
    readonly extras: { errors?: FieldError[]; field?: string; retry_after_s?: number } = {},
  ) {
    super(detail ?? ERROR_CATALOG[code]?.title ?? code);
    this.status = ERROR_CATALOG[code]?.status ?? 500;
  }
}

export function statusOf(code: string): number {
  return ERROR_CATALOG[code]?.status ?? 500;
}

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  code: string;
  detail: string;
  instance?: string;
  field?: string;
  errors?: FieldError[];
  request_id?: string;
}

export function problemBody(code: string, detail: string, extras: { field?: string; errors?: FieldError[]; instance?: string; request_id?: string } = {}): ProblemBody {
  const entry = ERROR_CATALOG[code] ?? ERROR_CATALOG.internal_error!;
  return {
    type: `/errors#${code}`,
    title: entry.title,
    status: entry.status,
    code,
    detail,
    ...extras,
  };
}
