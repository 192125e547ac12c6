/**
 * "One object or an array" endpoints: one object answers with REST status codes
 * (201 created, 200 replayed, problem+json on failure); an array answers 200 with one
 * result per item, in order. Used by every batch-capable create route.
 */
import { Type, type TSchema } from '@sinclair/typebox';
import type { FastifyReply } from 'fastify';
import { ERROR_CATALOG, ProblemError } from './problem.js';

export type ItemResult<T> = { ok: true; replayed: boolean; value: T } | { ok: false; code: string; field?: string | undefined };

export const describeCode = (code: string, field?: string) => `${ERROR_CATALOG[code]?.title ?? code}${field ? ` (${field})` : ''}`;

export const ItemError = Type.Object({
  ok: Type.Literal(false),
  index: Type.Integer(),
  code: Type.String(),
  field: Type.Optional(Type.String()),
  detail: Type.String(),
  failed_index: Type.Optional(Type.Integer({ description: 'for linked_event_failed: the chain item that failed' })),
});

/** Response schemas for a create route whose item is called `name` (e.g. transfer). */
export function oneOrManyResponses(name: string, view: TSchema) {
  const ok = Type.Object({ ok: Type.Literal(true), index: Type.Integer(), replayed: Type.Boolean(), [name]: view });
  return { 200: Type.Union([view, Type.Object({ results: Type.Array(Type.Union([ok, ItemError])) })]), 201: view };
}

export async function answerOneOrMany<Body, Input, T>(
  body: Body | Body[],
  reply: FastifyReply,
  options: {
    name: string;
    toInput: (body: Body, where: string) => Input;
    run: (inputs: Input[]) => Promise<ItemResult<T>[]>;
    toJson: (value: T) => object;
    /** Extra fields for failed items of a batch, by index (e.g. failed_index of a linked chain). */
    annotate?: (inputs: Input[], results: ItemResult<T>[]) => Map<number, object>;
  },
) {
  const single = !Array.isArray(body);
  const bodies = Array.isArray(body) ? body : [body];
  const inputs = bodies.map((b, i) => options.toInput(b, single ? 'body' : `body[${i}]`));
  const results = await options.run(inputs);
  if (single) {
    const result = results[0]!;
    if (!result.ok) throw new ProblemError(result.code, describeCode(result.code, result.field), { field: result.field });
    return reply.status(result.replayed ? 200 : 201).send(options.toJson(result.value));
  }
  const extra = options.annotate?.(inputs, results) ?? new Map<number, object>();
  return reply.send({
    results: results.map((r, index) =>
      r.ok
        ? { ok: true as const, index, replayed: r.replayed, [options.name]: options.toJson(r.value) }
        : { ok: false as const, index, code: r.code, field: r.field, detail: describeCode(r.code, r.field), ...extra.get(index) },
    ),
  });
}
