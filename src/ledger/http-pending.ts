/**
 * GET /v1/pending-transfers: the holds still open across the ledger (two-phase transfers
 * neither posted, voided nor expired), oldest first, cursor-paginated. For the operator
 * console's ledger explorer; an account's own holds are in its transfer list.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { PageCursor, PageLimit, decodeCursor, encodeCursor } from '../server/cursor.js';
import { listOpenPendingTransfers } from './pending-store.js';
import { Problem, TransferView, transferJson } from './schemas.js';
import type { Ledger } from './service.js';

export const PENDING_LIST_LIMIT_MAX = 200;
const SEQ_CURSOR = /^([1-9][0-9]{0,18})$/;

export function registerPendingRoutes(root: FastifyInstance, ledger: Ledger): void {
  const app = root.withTypeProvider<TypeBoxTypeProvider>();
  app.get(
    '/v1/pending-transfers',
    {
      config: { scope: 'ledger:read' },
      schema: {
        tags: ['ledger'],
        summary: 'Open holds: pending transfers not yet posted, voided or expired, oldest first',
        querystring: Type.Object({ limit: PageLimit(PENDING_LIST_LIMIT_MAX), cursor: PageCursor }, { additionalProperties: false }),
        response: {
          200: Type.Object({ data: Type.Array(TransferView), next_cursor: Type.Union([Type.String(), Type.Null()]) }),
          400: Problem,
          401: Problem,
          403: Problem,
        },
      },
    },
    async (req) => {
      const limit = req.query.limit ?? 50;
      const parts = decodeCursor(req.query.cursor, SEQ_CURSOR);
      const rows = await listOpenPendingTransfers(ledger.db, { limit: limit + 1, after_seq: parts ? BigInt(parts[0]!) : undefined });
      const page = rows.slice(0, limit);
      const last = page[page.length - 1];
      return {
        data: page.map((t) => transferJson({ ...t, pending_state: 'pending' })),
        next_cursor: rows.length > limit && last?.seq !== undefined ? encodeCursor(last.seq.toString()) : null,
      };
    },
  );
}
