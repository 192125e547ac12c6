/**
 * The velocity feature catalogue under /v1/risk/features: read it (with the state of a
 * rebuild in progress), change it (checked against the rule sets and models in use, then
 * rebuilt in the background: catalogue-service.ts), and its history. Translates HTTP ↔
 * catalogue-service.ts.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { ProblemError } from '../server/problem.js';
import { decodeCursor, encodeCursor } from '../server/cursor.js';
import { Problem } from '../ledger/schemas.js';
import { diffCatalogues, type CatalogueDiff } from './catalogue.js';
import type { CatalogueBuildState } from './catalogue-build.js';
import { CATALOGUE_COMMENT_MAX, changeCatalogue } from './catalogue-service.js';
import * as catalogueStore from './catalogue-store.js';
import type { Risk } from './service.js';
import { EVENT_TYPES } from './types.js';
import { VELOCITY_AGGREGATES, VELOCITY_ENTITIES, VELOCITY_EVENT_TYPES_MAX, VELOCITY_FEATURE_NAME_PATTERN, VELOCITY_FEATURES_MAX, VELOCITY_WINDOWS } from './velocity.js';

const errorResponses = { 400: Problem, 401: Problem, 403: Problem, 409: Problem, 503: Problem };
const Timestamp = Type.String({ format: 'date-time' });
const OneOf = <T extends string>(values: readonly T[], description: string) => Type.Unsafe<T>({ type: 'string', enum: [...values], description });

export const FeatureSchema = Type.Object(
  {
    name: Type.String({ pattern: VELOCITY_FEATURE_NAME_PATTERN.source, description: 'Read by rules as velocity.<name>: 1–64 of a–z, 0–9, _ starting with a letter' }),
    entity: OneOf(VELOCITY_ENTITIES, 'What the aggregate is kept per (the event field customer_id, device_id, ip, …)'),
    aggregate: OneOf(VELOCITY_AGGREGATES, 'count events, sum their amounts, or count distinct values of another entity'),
    of: Type.Optional(OneOf(['amount', ...VELOCITY_ENTITIES], "sum: 'amount'; distinct: another entity; count: absent")),
    window: OneOf(Object.keys(VELOCITY_WINDOWS) as (keyof typeof VELOCITY_WINDOWS)[], 'The sliding window (docs/risk.md, Features)'),
    event_types: Type.Optional(
      Type.Array(Type.String({ pattern: `^(${EVENT_TYPES.join('|')}|custom\\.[a-z][a-z0-9_]{0,47})$` }), {
        minItems: 1,
        maxItems: VELOCITY_EVENT_TYPES_MAX,
        description: 'Only events of these types count (all types when absent)',
      }),
    ),
  },
  { additionalProperties: false },
);

const RebuildView = Type.Object({
  version: Type.Integer({ description: 'The catalogue version being (or last) built' }),
  status: OneOf(['building', 'done', 'failed'], 'building → done (swapped in) | failed (the old catalogue keeps deciding; retried within seconds)'),
  progress: Type.Object({ done: Type.Integer(), total: Type.Union([Type.Integer(), Type.Null()]) }, { description: 'Stored events of the last 30 days replayed, of those there were when it began' }),
  events_caught_up: Type.Integer({ description: 'Events decided during the build, replayed into it at the swap' }),
  started_at: Timestamp,
  finished_at: Type.Union([Timestamp, Type.Null()]),
  error: Type.Union([Type.String(), Type.Null()]),
});
const DiffView = Type.Object({
  added: Type.Array(FeatureSchema),
  removed: Type.Array(FeatureSchema),
  changed: Type.Array(Type.Object({ name: Type.String(), before: FeatureSchema, after: FeatureSchema })),
});
const CatalogueView = Type.Object({
  version: Type.Integer({ description: 'The catalogue in force (the highest stored version)' }),
  features: Type.Array(FeatureSchema),
  comment: Type.String(),
  created_by: Type.String(),
  created_at: Timestamp,
  deciding_version: Type.Integer({ description: 'The version this process decides with: lower than version while it rebuilds (0 while the process starts)' }),
  rebuild: Type.Union([RebuildView, Type.Null()], { description: "This process's running rebuild, else its last one (null: none since it started)" }),
});
const HistoryItem = Type.Object({
  version: Type.Integer(),
  comment: Type.String(),
  created_by: Type.String(),
  created_at: Timestamp,
  features: Type.Array(FeatureSchema),
  diff: Type.Union([DiffView, Type.Null()], { description: 'Against the version before (null for version 1)' }),
});
const HISTORY_CURSOR = /^v([0-9]{1,9})$/;

const actorOf = (req: { apiKey?: { name: string; id: string } }): string => (req.apiKey ? `${req.apiKey.name} (${req.apiKey.id})` : 'unknown');

function rebuildJson(s: CatalogueBuildState | undefined) {
  if (!s) return null;
  return {
    version: s.version,
    status: s.status,
    progress: { done: s.events_replayed, total: s.events_total },
    events_caught_up: s.events_caught_up,
    started_at: s.started_at.toISOString(),
    finished_at: s.finished_at?.toISOString() ?? null,
    error: s.error,
  };
}

const versionJson = (v: catalogueStore.CatalogueVersion) => ({
  version: v.version,
  features: v.features,
  comment: v.comment,
  created_by: v.created_by,
  created_at: new Date(v.created_at).toISOString(),
});

export function registerRiskFeatureRoutes(root: FastifyInstance, risk: Risk): void {
  const app = root.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['risk'];

  app.get(
    '/v1/risk/features',
    {
      config: { scope: 'risk:read' },
      schema: { tags, summary: 'The velocity feature catalogue in force, and the state of a rebuild for a change', response: { 200: CatalogueView, ...errorResponses } },
    },
    async () => {
      const current = await catalogueStore.currentCatalogue(risk.db);
      // Before the first change on a database the engine never seeded, the catalogue is the engine's own.
      const shown = current ?? { version: risk.engine.catalogue_version, features: [...risk.engine.features], comment: 'the built-in defaults', created_by: 'system', created_at: new Date(0) };
      return { ...versionJson(shown), deciding_version: risk.engine.catalogue_version, rebuild: rebuildJson(risk.engine.catalogueRebuild) };
    },
  );

  app.put(
    '/v1/risk/features',
    {
      config: { scope: 'risk:admin' },
      schema: {
        tags,
        summary:
          'Replace the velocity feature catalogue. Refused (409 feature_in_use) if a rule set in use or a deployed model reads a feature it drops; otherwise stored as the next version and rebuilt from the stored events in the background while decisions go on (202)',
        body: Type.Object(
          {
            features: Type.Array(FeatureSchema, { maxItems: VELOCITY_FEATURES_MAX }),
            comment: Type.Optional(Type.String({ maxLength: CATALOGUE_COMMENT_MAX })),
          },
          { additionalProperties: false },
        ),
        response: {
          202: Type.Object({ version: Type.Integer(), comment: Type.String(), created_by: Type.String(), created_at: Timestamp, diff: DiffView, rebuild: RebuildView }),
          ...errorResponses,
        },
      },
    },
    async (req, reply) => {
      const result = await changeCatalogue(risk, req.body.features, req.body.comment ?? '', actorOf(req));
      if (!result.ok) {
        if (result.code === 'invalid_feature_catalogue') throw new ProblemError(result.code, `${result.field}: ${result.message}`, { field: `body.${result.field}` });
        if (result.code === 'catalogue_rebuilding') throw new ProblemError(result.code, result.message);
        const errors = result.conflicts.map((c) => ({ field: 'body.features', message: c.message }));
        throw new ProblemError('feature_in_use', `the catalogue would break what is in use: ${errors.map((e) => e.message).join('; ')}`, { errors });
      }
      req.log.info({ catalogue_version: result.version.version, diff: result.diff, actor: actorOf(req) }, 'velocity feature catalogue changed');
      const { features: _features, ...version } = versionJson(result.version);
      return reply.status(202).send({ ...version, diff: result.diff, rebuild: rebuildJson(result.rebuild)! });
    },
  );

  app.get(
    '/v1/risk/features/history',
    {
      config: { scope: 'risk:read' },
      schema: {
        tags,
        summary: 'Every version of the feature catalogue, newest first, with who changed it, why and what changed; cursor-paginated',
        querystring: Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20 })), cursor: Type.Optional(Type.String({ maxLength: 100 })) }),
        response: { 200: Type.Object({ data: Type.Array(HistoryItem), next_cursor: Type.Union([Type.String(), Type.Null()]) }), ...errorResponses },
      },
    },
    async (req) => {
      const limit = req.query.limit ?? 20;
      const parts = decodeCursor(req.query.cursor, HISTORY_CURSOR);
      // One more than the page: it is the version before the page's last (its diff) and says whether a next page exists.
      const rows = await catalogueStore.listCatalogueVersions(risk.db, parts ? Number(parts[0]) : undefined, limit + 1);
      const page = rows.slice(0, limit);
      const data = page.map((v, i) => {
        const previous = rows[i + 1];
        const diff: CatalogueDiff | null = previous && previous.version === v.version - 1 ? diffCatalogues(previous.features, v.features) : null;
        return { ...versionJson(v), diff };
      });
      const last = page[page.length - 1];
      return { data, next_cursor: rows.length > limit && last ? encodeCursor(`v${last.version}`) : null };
    },
  );
}
