/** What the open-banking route files share: error translation, response schemas, tags. */
import { Type } from '@sinclair/typebox';
import { Problem } from '../ledger/schemas.js';
import { describeCode } from '../server/batch.js';
import { ProblemError } from '../server/problem.js';

export const ADMIN_TAG = 'open-banking-admin';
export const PARTNER_TAG = 'open-banking';

export const errorResponses = {
  400: Problem,
  401: Problem,
  403: Problem,
  404: Problem,
  409: Problem,
  422: Problem,
  429: Problem,
  503: Problem,
};

export const Timestamp = Type.String({ format: 'date-time' });
export const MinorUnits = Type.String({ pattern: '^-?[0-9]+$', description: 'Integer minor units as a decimal string' });
export const NextCursor = Type.Union([Type.String(), Type.Null()]);

/**
 * Throws the refusal as problem+json. `where` prefixes the field with the request part it
 * came from (`body.account_ids`), the way validation errors name fields.
 */
export function fail(refusal: { code: string; detail?: string; field?: string | undefined }, where: 'body' | 'querystring' | 'params' | null = 'body'): never {
  const field = refusal.field === undefined ? undefined : where ? `${where}.${refusal.field}` : refusal.field;
  throw new ProblemError(refusal.code, refusal.detail || describeCode(refusal.code, field), field ? { field, errors: [{ field, message: refusal.detail ?? refusal.code }] } : {});
}
