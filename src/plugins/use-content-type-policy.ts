/**
 * Which request bodies the GraphQL endpoint reads, and what a caller gets when one cannot be
 * read. JSON (and `application/graphql`) always; form bodies (`multipart/form-data`,
 * `application/x-www-form-urlencoded`) only when configured: a browser sends those cross-site
 * without a preflight, and the schema takes no uploads. yoga parses urlencoded bodies whatever
 * its `multipart` option says, and answers other types with an empty 415; here every refusal is
 * a 415 with a `VALIDATION_ERROR` in the body.
 *
 * What yoga leaves to chance is mended here too. It matches media types case-sensitively
 * (`Application/JSON` got an empty 415), and a query string's `variables` or `extensions` that
 * is not JSON threw a bare `SyntaxError` (a masked `INTERNAL_SERVER_ERROR`). A body that is not
 * JSON is a malformed HTTP request, 400 whatever the caller accepts (ERRORS.md §5), where yoga
 * answers 200 to `Accept: application/json`. And a JSON body nested deeper than `maxJsonDepth` is
 * refused before it is parsed: under the 1 MB body cap, 400,000 nested arrays cost V8's
 * `JSON.parse` and the garbage collection after it about 200 ms of CPU per request. A body cut
 * short because the caller closed the connection (or was cut off at its deadline) is the
 * caller's doing, a 400: read as a gateway bug, any client could fill the error log at will.
 *
 * Bodies are UTF-8, as GraphQL over HTTP says: a `charset` other than UTF-8, or a
 * `Content-Encoding` (a compressed body), is refused with 415 rather than read as something it is
 * not, and bytes that are not UTF-8 (in a body, or percent-encoded in a GET's query string) are a
 * 400 rather than U+FFFD sent on to an upstream in an id. A byte order mark is skipped.
 */
import { GraphQLError } from 'graphql';
import { createGraphQLError, isPromise, type Plugin } from 'graphql-yoga';

export interface ContentTypePolicyOptions {
  /** Read form bodies too. @default false */
  allowFormBodies?: boolean;
}

const jsonTypes = ['application/json', 'application/graphql'];
const formTypes = ['multipart/form-data', 'application/x-www-form-urlencoded'];

/** The media type of a `Content-Type` value, lower-cased, without parameters. */
export function mediaTypeOf(contentType: string | null): string {
  return (contentType ?? '').split(';')[0]!.trim().toLowerCase();
}

type RequestParser = (request: Request) => unknown;

export function useContentTypePolicy(options: ContentTypePolicyOptions = {}): Plugin {
  const accepted = new Set([...jsonTypes, ...(options.allowFormBodies ? formTypes : [])]);
  return {
    onRequestParse({ request, url, requestParser, setRequestParser }) {
      let parser = requestParser as RequestParser | undefined;
      if (request.method === 'GET' && url.search.includes('%') && !isUtf8Query(url.search)) throw malformed('The query string is not valid UTF-8 once decoded.');
      if (request.method === 'POST') {
        const contentType = request.headers.get('content-type');
        const type = mediaTypeOf(contentType);
        if (!accepted.has(type)) throw unsupported(`Content-Type ${type === '' ? '(none)' : JSON.stringify(type.slice(0, 100))} is not accepted: send application/json.`);
        const charset = charsetOf(contentType);
        if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') throw unsupported(`charset ${JSON.stringify(charset.slice(0, 40))} is not accepted: send UTF-8.`);
        const coding = request.headers.get('content-encoding')?.trim().toLowerCase();
        if (coding !== undefined && coding !== '' && coding !== 'identity') throw unsupported(`Content-Encoding ${JSON.stringify(coding.slice(0, 40))} is not accepted: send the body uncompressed.`);
        // JSON is always read here (for its depth); `application/graphql` when yoga's own
        // parsers did not recognise the type as written.
        if (type === 'application/json') parser = readJsonBody;
        else parser ??= type === 'application/graphql' ? readGraphQLBody : undefined;
      }
      if (parser !== undefined) setRequestParser(withReadableFailures(parser) as never);
    },
  };
}

/** The refusal of a request whose body did not arrive whole before its connection closed or its deadline. */
export function bodyNotWholeError(): GraphQLError {
  return malformed('The request body did not arrive whole: the connection closed first.');
}

function malformed(message: string): GraphQLError {
  return createGraphQLError(message, { extensions: { code: 'VALIDATION_ERROR', http: { status: 400 } } });
}

function unsupported(message: string): GraphQLError {
  return createGraphQLError(message, { extensions: { code: 'VALIDATION_ERROR', http: { status: 415 } } });
}

/** The `charset` parameter of a `Content-Type`, lower-cased and unquoted, if it has one. */
function charsetOf(contentType: string | null): string | undefined {
  if (contentType === null || !contentType.includes(';')) return undefined;
  const match = /;\s*charset\s*=\s*("?)([^";\s]*)\1/i.exec(contentType);
  return match === null ? undefined : match[2]!.toLowerCase();
}

/** Whether a query string's percent-encoded bytes decode as UTF-8 (`%FF` does not). */
function isUtf8Query(search: string): boolean {
  try {
    decodeURIComponent(search.replace(/%(?![0-9A-Fa-f]{2})/g, '%25'));
    return true;
  } catch {
    return false;
  }
}

/** Decodes UTF-8 strictly (a byte order mark is skipped); one instance serves every request. */
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The deepest nesting of arrays and objects a JSON body may have: far more than any GraphQL request's variables need. */
export const maxJsonDepth = 128;

async function readJsonBody(request: Request): Promise<unknown> {
  const bytes = await request.arrayBuffer();
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    throw malformed('POST body is not valid UTF-8.');
  }
  if (nestsDeeperThan(text, maxJsonDepth)) throw malformed(`POST body nests arrays and objects more than ${maxJsonDepth} levels deep.`);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw malformed('POST body sent invalid JSON.');
  }
  if (body === null || typeof body !== 'object') throw malformed(`POST body is expected to be object but received ${body === null ? 'null' : typeof body}`);
  return body;
}

/** Whether JSON text opens more than `limit` arrays or objects at once (brackets inside strings do not count). */
function nestsDeeperThan(text: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const char = text.charCodeAt(i);
    if (inString) {
      if (char === 0x5c) i++; // a backslash escapes the next character
      else if (char === 0x22) inString = false;
    } else if (char === 0x22) inString = true;
    else if (char === 0x5b || char === 0x7b) {
      if (++depth > limit) return true;
    } else if (char === 0x5d || char === 0x7d) depth--;
  }
  return false;
}

async function readGraphQLBody(request: Request): Promise<{ query: string }> {
  return { query: await request.text() };
}

/**
 * A parser whose failures are 400s with `VALIDATION_ERROR`, whether it throws or rejects; an
 * empty batch (`[]`, which yoga would answer with an empty 200) is one too.
 */
function withReadableFailures(parser: RequestParser): RequestParser {
  return (request) => {
    let parsed: unknown;
    try {
      parsed = parser(request);
    } catch (error) {
      throw readableFailure(error, request);
    }
    return isPromise(parsed) ? parsed.then(notEmptyBatch, (error: unknown) => Promise.reject(readableFailure(error, request))) : notEmptyBatch(parsed);
  };
}

function notEmptyBatch(parsed: unknown): unknown {
  if (Array.isArray(parsed) && parsed.length === 0) throw malformed('A batch must hold at least one operation.');
  return parsed;
}

function readableFailure(error: unknown, request: Request): unknown {
  // yoga's JSON body parser: `spec: true` would make it a 200 under `Accept: application/json`.
  if (error instanceof GraphQLError) {
    const http = error.extensions['http'] as { spec?: boolean } | undefined;
    return http?.spec ? malformed(error.message) : error;
  }
  if (request.signal.aborted || isConnectionClosed(error)) return bodyNotWholeError();
  // JSON.parse of a query string's `variables` or `extensions` (GET, urlencoded forms).
  if (error instanceof SyntaxError) return malformed('The variables or extensions parameter is not valid JSON.');
  return error;
}

/** Node's error for a request body whose connection closed before it ended (`aborted`, `ECONNRESET`). */
function isConnectionClosed(error: unknown): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  return code === 'ECONNRESET' || (error instanceof Error && message === 'aborted');
}
