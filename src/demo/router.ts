/**
 * Route tables for the demo services: a method and a pattern such as
 * `/api/v1/projects/:projectId`, matched against already-decoded path segments.
 */
import type { DemoOutcome, DemoRequest } from './http.js';
import { trailingSlashes } from '../upstream/url.js';

/** One route of a demo service. */
export interface DemoRoute {
  /** Upper-case HTTP method; `GET` routes also answer `HEAD`. */
  method: string;
  /** Literal segments and `:name` parameters, e.g. `/api/v1/users/:userId/email`. */
  pattern: string;
  handle(request: DemoRequest): DemoOutcome | Promise<DemoOutcome>;
}

/** The result of matching a request against a route table. */
export type RouteMatch =
  | { kind: 'found'; route: DemoRoute; params: Record<string, string> }
  | { kind: 'wrong-method'; allow: string[] }
  | { kind: 'none' };

/** Shorthand for a route entry. */
export function route(method: string, pattern: string, handle: DemoRoute['handle']): DemoRoute {
  return { method, pattern, handle };
}

/** A path prefix as `/svc` (leading slash, no trailing one), or `''` for none. */
export function normalizeBasePath(basePath: string | undefined): string {
  const trimmed = (basePath ?? '').replace(trailingSlashes, '');
  return trimmed === '' ? '' : trimmed.startsWith('/') ? trimmed : `/${trimmed}`;
}

/** Splits a raw request target into its path and query, dropping any scheme, host and fragment. */
export function splitTarget(rawUrl: string): { path: string; query: string } {
  let target = rawUrl;
  if (!target.startsWith('/')) {
    // Absolute-form targets (`http://host/path`) keep only their path and query.
    const match = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*(.*)$/i.exec(target);
    target = match?.[1] || '/';
  }
  const hash = target.indexOf('#');
  if (hash >= 0) target = target.slice(0, hash);
  const question = target.indexOf('?');
  return question < 0 ? { path: target, query: '' } : { path: target.slice(0, question), query: target.slice(question + 1) };
}

/**
 * Splits a raw path (no query) into decoded segments, one per `/`, or `undefined` when a
 * segment is not valid percent-encoding.
 */
export function decodeSegments(rawPath: string): string[] | undefined {
  const parts = rawPath.split('/').slice(1);
  try {
    return parts.map((part) => decodeURIComponent(part));
  } catch {
    // URIError: a malformed escape such as `%zz`; the caller answers 400.
    return undefined;
  }
}

function paramsFor(pattern: string, segments: readonly string[]): Record<string, string> | undefined {
  const expected = pattern.split('/').slice(1);
  if (expected.length !== segments.length) return undefined;
  const params: Record<string, string> = {};
  for (const [index, part] of expected.entries()) {
    const segment = segments[index] ?? '';
    if (part.startsWith(':')) {
      if (segment === '') return undefined;
      params[part.slice(1)] = segment;
    } else if (part !== segment) {
      return undefined;
    }
  }
  return params;
}

/** Finds the route for a method and decoded segments; tells a wrong method from no route. */
export function matchRoute(routes: readonly DemoRoute[], method: string, segments: readonly string[]): RouteMatch {
  const wanted = method === 'HEAD' ? 'GET' : method;
  const allow = new Set<string>();
  for (const candidate of routes) {
    const params = paramsFor(candidate.pattern, segments);
    if (!params) continue;
    if (candidate.method === wanted) return { kind: 'found', route: candidate, params };
    allow.add(candidate.method);
    if (candidate.method === 'GET') allow.add('HEAD');
  }
  return allow.size > 0 ? { kind: 'wrong-method', allow: [...allow] } : { kind: 'none' };
}
