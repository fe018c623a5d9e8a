/** A tiny fetch wrapper for the demo service tests: admin key by default, JSON in and out. */
import { demoKeys, type DemoService } from '../../src/demo/index.js';

/** Options of one test call. */
export interface CallOptions {
  /** Bearer key; `null` sends no Authorization header. @default demoKeys.admin */
  key?: string | null;
  /** Sent as JSON. */
  body?: unknown;
  /** Sent as is, instead of `body`. */
  rawBody?: string;
  headers?: Record<string, string>;
}

/** What a test looks at in an answer. */
export interface CallResult {
  status: number;
  headers: Headers;
  /** The parsed JSON body, `undefined` when empty. */
  body: any;
  text: string;
}

/** Calls `service` at `path` (relative to its base URL) over real HTTP. */
export async function call(service: Pick<DemoService, 'url'>, method: string, path: string, options: CallOptions = {}): Promise<CallResult> {
  const headers: Record<string, string> = { ...options.headers };
  const key = options.key === undefined ? demoKeys.admin : options.key;
  if (key !== null) headers.authorization = `Bearer ${key}`;
  let body: string | undefined = options.rawBody;
  if (body === undefined && options.body !== undefined) body = JSON.stringify(options.body);
  if (body !== undefined) headers['content-type'] ??= 'application/json';
  const response = await fetch(service.url + path, { method, headers, body });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text === '' ? undefined : JSON.parse(text), text };
}

/** The Problem `type` URI for a slug. */
export function problemType(slug: string): string {
  return `https://problems.example/${slug}`;
}
