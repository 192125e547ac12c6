/**
 * Type helpers over the generated `Routes` (sdk/src/generated/openapi.ts): the JSON body,
 * form body, query, path parameters and JSON answer of an operation named "<METHOD> <path>".
 * The SDK's methods are typed only through these, so a schema change on the server shows up
 * as a compile error here once the types are generated again.
 */
import type { Routes } from './generated/openapi.js';

export type Route = keyof Routes;

type Content<T> = T extends { content: infer C } ? C : never;

/** The JSON request body of a route. */
export type JsonBody<R extends Route> = Routes[R] extends { requestBody: infer B } ? Content<B> extends { 'application/json': infer J } ? J : never : never;

/** The form request body of an OAuth route (application/x-www-form-urlencoded). */
export type FormBody<R extends Route> = Routes[R] extends { requestBody: infer B }
  ? Content<B> extends { 'application/x-www-form-urlencoded': infer F }
    ? F
    : never
  : never;

/** The query parameters of a route. */
export type Query<R extends Route> = Routes[R] extends { parameters: { query?: infer Q } } ? NonNullable<Q> : never;

/** The path parameters of a route. */
export type PathParams<R extends Route> = Routes[R] extends { parameters: { path: infer P } } ? P : never;

/** The JSON answer of a route with status S. */
export type JsonResponse<R extends Route, S extends number> = Routes[R] extends { responses: infer Rs }
  ? S extends keyof Rs
    ? Content<Rs[S]> extends { 'application/json': infer J }
      ? J
      : never
    : never
  : never;

/** The JSON answer of a route's success (any 2xx it declares). */
export type Success<R extends Route> = JsonResponse<R, 200 | 201 | 202>;

/** Makes the listed keys optional (ids the SDK fills in when left out). */
export type WithOptional<T, K extends keyof T> = Omit<T, K> & Partial<Pick<T, K>>;
