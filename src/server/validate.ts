import { Ajv, type ErrorObject } from 'ajv';
import addFormats from 'ajv-formats';

/** Bodies are checked exactly as sent: no type coercion, no silent stripping of unknown fields. */
export const strictAjv = addFormats.default(new Ajv({ allErrors: true, coerceTypes: false, removeAdditional: false, useDefaults: true, strict: false }));
/** Query strings and path parameters arrive as text, so they may be coerced to the declared type. */
export const lenientAjv = addFormats.default(new Ajv({ allErrors: true, coerceTypes: true, removeAdditional: false, useDefaults: true, strict: false }));

/**
 * Field-named messages. For "one object or an array" bodies Ajv reports both branches;
 * keep the branch the client actually sent (drop the anyOf summary and the root type
 * mismatch when deeper errors say what is wrong).
 */
export function describeAjvErrors(errors: ErrorObject[] | null | undefined, root = 'body'): { field: string; message: string }[] {
  let list = (errors ?? []).filter((e) => e.keyword !== 'anyOf');
  if (list.some((e) => e.instancePath !== '')) list = list.filter((e) => !(e.instancePath === '' && e.keyword === 'type'));
  return list.map((v) => {
    const missing = (v.params as { missingProperty?: string }).missingProperty;
    const extra = (v.params as { additionalProperty?: string }).additionalProperty;
    // Array items as body[2].amount, the way the handlers name batch items.
    const base = `${root}${v.instancePath.replace(/\/(\d+)(?=\/|$)/g, '[$1]').replace(/\//g, '.')}`;
    const field = missing ? `${base}.${missing}` : extra ? `${base}.${extra}` : base;
    return { field, message: extra ? 'unknown field' : (v.message ?? 'invalid') };
  });
}

/** Validates a value against a schema with the same rules as HTTP bodies (used by the CLI). */
export function checkBody(schema: object, value: unknown): { field: string; message: string }[] {
  const validate = strictAjv.compile(schema);
  return validate(value) ? [] : describeAjvErrors(validate.errors);
}
