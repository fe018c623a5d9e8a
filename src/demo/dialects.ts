/**
 * The three error dialects the demo services speak (UPSTREAMS.md): Problem Details, flat coded
 * and nested coded. A dialect turns a `DemoError` into a status, content type and JSON body.
 */
import { STATUS_CODES } from 'node:http';
import type { DemoError } from './http.js';

/** A rendered error, ready to send. */
export interface RenderedError {
  status: number;
  contentType: string;
  body: unknown;
  headers: Readonly<Record<string, string>>;
}

/** Renders a failure for the request path it answers. */
export type DemoDialect = (error: DemoError, path: string) => RenderedError;

/** The base of every Problem `type` URI the demo services use. */
export const problemTypeBase = 'https://problems.example/';

const json = 'application/json';

/**
 * RFC 9457 Problem Details: the code becomes the last segment of `type` (kebab-case), the
 * message is `detail`, and extension members sit at the top level.
 */
export const problemDialect: DemoDialect = (error, path) => ({
  status: error.status,
  contentType: 'application/problem+json',
  body: {
    ...error.extensions,
    type: problemTypeBase + error.code.replaceAll('_', '-'),
    title: error.title ?? STATUS_CODES[error.status] ?? 'Error',
    status: error.status,
    detail: error.message,
    instance: path,
  },
  headers: error.headers ?? {},
});

/** Flat coded `{ code, message, details? }` with upper-case codes. */
export const flatDialect: DemoDialect = (error) => ({
  status: error.status,
  contentType: json,
  body: {
    code: error.code.toUpperCase(),
    message: error.message,
    ...(error.details ? { details: error.details } : {}),
  },
  headers: error.headers ?? {},
});

/** Nested coded `{ error: { code, message, ... } }` with lower-case codes; details sit beside them. */
export const nestedDialect: DemoDialect = (error) => ({
  status: error.status,
  contentType: json,
  body: { error: { ...error.details, code: error.code.toLowerCase(), message: error.message } },
  headers: error.headers ?? {},
});
