/**
 * Opaque keyset-pagination cursors: the sort key of the last row returned, base64url
 * encoded. Decoding checks the text against the route's own shape, so a forged or
 * foreign cursor is a clear `invalid_cursor`, never a SQL error.
 */
import { Type } from '@sinclair/typebox';
import { ProblemError } from './problem.js';

export function encodeCursor(...parts: readonly string[]): string {
  return Buffer.from(parts.join('|')).toString('base64url');
}

/** The captured groups of `shape` (which must match the whole decoded text), or undefined for no cursor. */
export function decodeCursor(cursor: string | undefined, shape: RegExp): string[] | undefined {
  if (cursor === undefined) return undefined;
  const match = shape.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!match) throw new ProblemError('invalid_cursor', 'the cursor is not one this API issued');
  return match.slice(1);
}

/** The `limit` query parameter of a list route: 1 to `max`, 50 when absent. */
export const PageLimit = (max: number) => Type.Optional(Type.Integer({ minimum: 1, maximum: max, default: 50 }));
/** The `cursor` query parameter of a list route (the `next_cursor` of the page before). */
export const PageCursor = Type.Optional(Type.String({ maxLength: 200 }));
