/**
 * What every demo service shares: the request a handler sees, the outcomes it returns, the demo
 * keys and how a bearer key becomes a role.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

/** The demo bearer keys every service accepts (UPSTREAMS.md, Credentials). */
export const demoKeys = { admin: 'demo-admin', reader: 'demo-reader', expired: 'demo-expired' } as const;

/** What a valid key may do: `admin` has every scope, `reader` only reads. */
export type DemoRole = 'admin' | 'reader';

/** The role for an `Authorization` header, or `undefined` for a missing, unknown or expired key. */
export function roleFor(authorization: string | undefined): DemoRole | undefined {
  const key = bearerKey(authorization);
  if (key === demoKeys.admin) return 'admin';
  if (key === demoKeys.reader) return 'reader';
  return undefined;
}

/** The token of a `Bearer` header, or `undefined` when there is none. */
export function bearerKey(authorization: string | undefined): string | undefined {
  const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(authorization ?? '');
  return match?.[1];
}

/** A request that passed routing and authentication, as a route handler sees it. */
export interface DemoRequest {
  /** Upper-case HTTP method. */
  method: string;
  /** The path as received, without the query string (a Problem's `instance`). */
  path: string;
  /** Route parameters, each one decoded path segment. */
  params: Readonly<Record<string, string>>;
  /** The parsed query string. */
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  /** The caller's bearer key. */
  apiKey: string;
  role: DemoRole;
  /** The parsed JSON body, `undefined` when the request had none. */
  body: unknown;
}

/** A successful answer. `body` is sent as JSON; no body for 204 and 304. */
export interface DemoReply {
  kind: 'reply';
  status: number;
  body?: unknown;
  headers?: Readonly<Record<string, string>>;
}

/** A failure, rendered by the service's dialect. */
export interface DemoError {
  kind: 'error';
  status: number;
  /** Snake-case code; each dialect spells it its own way. */
  code: string;
  /** The human message (a Problem's `detail`). */
  message: string;
  /** A Problem's `title`; @default the HTTP reason phrase */
  title?: string;
  /** Flat dialect `details`, or extra members of a nested `error` object. */
  details?: Readonly<Record<string, unknown>>;
  /** Problem extension members. */
  extensions?: Readonly<Record<string, unknown>>;
  /** Extra response headers, such as `Retry-After`. */
  headers?: Readonly<Record<string, string>>;
}

/** What a route handler returns. */
export type DemoOutcome = DemoReply | DemoError;

/** A successful answer with an optional JSON body and headers. */
export function reply(status: number, body?: unknown, headers?: Record<string, string>): DemoReply {
  return { kind: 'reply', status, body, headers };
}

/** A failure with a code and message; `more` adds dialect-specific members. */
export function failure(
  status: number,
  code: string,
  message: string,
  more: Partial<Pick<DemoError, 'title' | 'details' | 'extensions' | 'headers'>> = {},
): DemoError {
  return { kind: 'error', status, code, message, ...more };
}

/** What a 401 must say of the scheme it wants (RFC 9110 §11.6.1): a bearer key. */
export const bearerChallenge = { headers: { 'www-authenticate': 'Bearer' } } as const;

/** An unexpected failure: its message carries a fresh request id for support, as 500s do. */
export function internalFailure(code = 'internal_error'): DemoError {
  const requestId = `req_${randomBytes(8).toString('hex')}`;
  return failure(500, code, `Unexpected failure. Request ID: ${requestId}`);
}

/** A single-valued request header, or `undefined`. */
export function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

/** `value` when it is a plain JSON object, else `undefined`. */
export function asObject(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

/** A non-empty string member of a JSON object, or `undefined`. */
export function stringMember(value: unknown, name: string): string | undefined {
  const member = asObject(value)?.[name];
  return typeof member === 'string' && member.trim() !== '' ? member : undefined;
}
