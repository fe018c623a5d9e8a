/**
 * The one function that puts anything thrown onto the error contract (ERRORS.md §4): an
 * upstream failure becomes its canonical code with `upstream`, client-safe `details` and
 * `retryAfter`; a GraphQL request error keeps its message; anything else is a bug, masked as
 * `Unexpected error.` and logged. The result is always a plain `GraphQLError`.
 */
import { GraphQLError } from 'graphql';
import type { Logger } from '../log.js';
import { isUpstreamError, type FieldError, type UpstreamError, type UpstreamErrorReport, type UpstreamFailure } from '../upstream/failure.js';
import { codeForFailure, foldCode, type ErrorOverrides } from './classify.js';
import { defaultClientMessages, isErrorCode, serverMessageFor, statusOfCode, type ErrorCode } from './codes.js';
import { looksInternal } from './internal-text.js';

export interface ContractErrorOptions {
  /** Per-service overrides from configuration. @default none */
  overrides?: ErrorOverrides;
  /** Where withheld upstream detail and masked gateway failures are logged (with requestId). @default nothing is logged */
  logger?: Logger;
  /** The gateway request id, when known here (else added later by the caller). @default the `UpstreamError`'s own, if any */
  requestId?: string;
  /** NODE_ENV=development: add `extensions.debug` with withheld detail for local debugging. Never by default. @default false */
  exposeDetail?: boolean;
  /** Remove graphql-js's "Did you mean …?" hints from request errors (with introspection off). @default false */
  hideSuggestions?: boolean;
}

/** `extensions.upstream`: which upstream caused the error, and what it said of itself. */
export interface UpstreamExtension {
  service: string;
  /** The upstream's HTTP status; absent for transport failures. */
  status?: number;
  /** The upstream's own code, as sent. */
  code?: string;
  type?: string;
  title?: string;
  instance?: string;
  requestId?: string;
}

/** `extensions.details`: the client-safe specifics of ERRORS.md §4, nothing else. */
export interface ContractDetails {
  fieldErrors?: FieldError[];
  requiredScope?: string | string[];
  current?: number;
  limit?: number;
  plan?: string;
  validTransitions?: string[];
}

/** `retryAfter` on `RATE_LIMITED` when the upstream gave none, in seconds: a minute, the usual window. */
export const defaultRetryAfterSeconds = 60;

/** The longest client message, in characters. */
export const maxMessageLength = 300;

/** The message of every masked gateway failure. */
export const unexpectedErrorMessage = 'Unexpected error.';

// Text past this many characters is never looked at: it bounds the work on hostile input.
const maxScannedLength = 10_000;
const maxLoggedTextLength = 2_000;
const maxListItems = 50;

/**
 * Makes upstream text fit for a client: one line, control and invisible formatting characters
 * removed, markup tags removed (and any `<` left that would open one), whitespace collapsed,
 * at most `maxLength` characters, ending with `…` when cut. HTML entities are left as they are.
 */
export function sanitizeMessage(text: string, maxLength = maxMessageLength): string {
  if (typeof text !== 'string' || maxLength <= 0) return '';
  const scanned = text.length > maxScannedLength;
  const cleaned = cleanText(scanned ? text.slice(0, maxScannedLength) : text);
  if (cleaned.length <= maxLength && !scanned) return cleaned;
  let cut = cleaned.slice(0, Math.min(cleaned.length, maxLength - 1));
  // Never end on half of a surrogate pair.
  if (/[\ud800-\udbff]$/.test(cut)) cut = cut.slice(0, -1);
  return `${cut.trimEnd()}…`;
}

function cleanText(text: string): string {
  return (
    text
      // Controls become spaces first, so that removing one cannot join `<` to a tag name.
      .replace(/[\p{Cc}\u2028\u2029\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]/gu, ' ')
      .replace(/\p{Cs}/gu, '')
      .replace(/<\/?[A-Za-z!?][^<>]*>/g, ' ')
      // What is left of nested or unclosed tags (`<<b>b>` → `< b>`) loses its `<`; a space, not
      // nothing, so that an earlier `<` is not joined to what followed.
      .replace(/<(?=[A-Za-z/!?])/g, ' ')
      .replace(/\s+/g, ' ')
      .trim()
  );
}

/** Maps anything thrown to the contract; see the module comment. */
export function toGraphQLError(error: unknown, options: ContractErrorOptions = {}): GraphQLError {
  if (error instanceof GraphQLError) {
    const original = error.originalError;
    if (original === undefined || original === null) return fromRequestError(error, options);
    if (isUpstreamError(original)) return fromUpstreamError(original, options, error);
    // A contract error thrown from a resolver or a plugin, wrapped by graphql-js at its field.
    if (original instanceof GraphQLError) return relocate(toGraphQLError(original, options), error);
    return unexpected(original, options, error);
  }
  if (isUpstreamError(error)) return fromUpstreamError(error, options, undefined);
  return unexpected(error, options, undefined);
}

type Extensions = Record<string, unknown>;

/** A plain `GraphQLError` at `at`'s path and locations, when given one. */
function build(message: string, extensions: Extensions, at: GraphQLError | undefined): GraphQLError {
  return new GraphQLError(message, { nodes: at?.nodes, source: at?.source, positions: at?.positions, path: at?.path, extensions });
}

function relocate(mapped: GraphQLError, at: GraphQLError): GraphQLError {
  const located = at.path !== undefined || at.nodes !== undefined || at.positions !== undefined;
  return build(mapped.message, { ...mapped.extensions }, located ? at : mapped);
}

function base(code: ErrorCode, requestId: string | undefined): Extensions {
  return requestId === undefined ? { code, status: statusOfCode[code] } : { code, status: statusOfCode[code], requestId };
}

/**
 * The extensions an error made elsewhere may keep: the contract's own, and `http` (yoga reads it
 * for the response status and strips it). Anything else, such as yoga's `originalError` on a bad
 * HTTP body, could leak internals and is dropped.
 */
const keptExtensions = ['upstream', 'details', 'retryAfter', 'limit', 'http'] as const;

/** Parse and validation errors, and contract errors already made: the message stays. */
function fromRequestError(error: GraphQLError, options: ContractErrorOptions): GraphQLError {
  const { code: given, requestId: givenRequestId } = error.extensions;
  const rest: Extensions = {};
  for (const key of keptExtensions) if (error.extensions[key] !== undefined) rest[key] = error.extensions[key];
  if (options.exposeDetail && error.extensions['debug'] !== undefined) rest['debug'] = error.extensions['debug'];
  const code: ErrorCode = isErrorCode(given) ? given : codeForHttpStatus(error.extensions['http']);
  const requestId = options.requestId ?? (typeof givenRequestId === 'string' ? givenRequestId : undefined);
  // ERRORS.md §1: the gateway's own failures are always masked, whoever made the error.
  if (code === 'INTERNAL_SERVER_ERROR' && error.message !== unexpectedErrorMessage) return unexpected(error, { ...options, requestId }, error);
  const message = options.hideSuggestions ? withoutSuggestions(error.message) : error.message;
  return build(message, { ...base(code, requestId), ...rest }, error);
}

/** A request error without a contract code: a body over the size cap is PAYLOAD_TOO_LARGE, the rest input errors. */
function codeForHttpStatus(http: unknown): ErrorCode {
  const status = typeof http === 'object' && http !== null ? (http as { status?: unknown }).status : undefined;
  return status === 413 ? 'PAYLOAD_TOO_LARGE' : 'VALIDATION_ERROR';
}

/** graphql-js names schema members it guessed at ("Did you mean …?"); that reveals the schema. */
function withoutSuggestions(message: string): string {
  return message.replace(/\s*Did you mean [^?]{0,500}\?/g, '').trim();
}

function fromUpstreamError(error: UpstreamError, options: ContractErrorOptions, at: GraphQLError | undefined): GraphQLError {
  const { failure, service } = error;
  const code = codeForFailure(failure, service, options.overrides);
  const serverSide = statusOfCode[code] >= 500;
  const report = failure.kind === 'response' ? failure.report : undefined;
  const requestId = options.requestId ?? error.requestId;

  const extensions: Extensions = { ...base(code, requestId), upstream: upstreamExtension(error, serverSide) };
  const details = report === undefined || serverSide ? undefined : clientDetails(report);
  if (details !== undefined) extensions['details'] = details;
  const retryAfter = retryAfterFor(code, failure);
  if (retryAfter !== undefined) extensions['retryAfter'] = retryAfter;

  const withheld = withheldDetail(error, serverSide);
  if (withheld !== undefined) {
    if (options.exposeDetail) extensions['debug'] = withheld;
    if (options.logger && firstSighting(error)) {
      options.logger.warn({ requestId, service, method: error.method, path: error.path, code, attempts: error.attempts, ...withheld }, 'upstream error detail withheld');
    }
  }
  return build(messageFor(code, error, report), extensions, at);
}

function messageFor(code: ErrorCode, error: UpstreamError, report: UpstreamErrorReport | undefined): string {
  if (error.failure.kind === 'invalid-id') {
    // The reason names the rule broken, never the id; cut short in case a caller put one in.
    const reason = sanitizeMessage(error.failure.reason, 64).replace(/[.\s]+$/, '');
    return reason === '' ? 'Invalid id.' : `Invalid id: ${reason}.`;
  }
  if (statusOfCode[code] >= 500) return serverMessageFor(code, error.service);
  const upstreamMessage = clientText(report?.message);
  return upstreamMessage === '' ? defaultClientMessages[code] : upstreamMessage;
}

/** An upstream's 4xx text for the client: cleaned, or `''` when there is none or it looks internal. */
function clientText(text: string | undefined): string {
  if (text === undefined) return '';
  const cleaned = sanitizeMessage(text);
  return looksInternal(text.slice(0, maxScannedLength)) || looksInternal(cleaned) ? '' : cleaned;
}

/** For a 5xx code only the members that are not free text: the service, status, code, type and request id. */
function upstreamExtension(error: UpstreamError, serverSide: boolean): UpstreamExtension {
  const { failure } = error;
  const upstream: UpstreamExtension = { service: error.service };
  if (failure.kind === 'response' || failure.kind === 'redirect') upstream.status = failure.status;
  if (failure.kind !== 'response') return upstream;
  const { report } = failure;
  const code = shortText(report.code, 128);
  if (code !== undefined) upstream.code = code;
  const type = shortText(report.problemType, 512);
  if (type !== undefined) upstream.type = type;
  if (!serverSide) {
    const title = shortText(report.title, maxMessageLength);
    if (title !== undefined) upstream.title = title;
    const instance = shortText(report.instance, 512);
    if (instance !== undefined) upstream.instance = instance;
  }
  if (report.upstreamRequestId !== undefined) upstream.requestId = report.upstreamRequestId;
  return upstream;
}

/** Cleaned text when it fits in `maxLength` as it is; text that would need cutting is left out. */
function shortText(value: string | undefined, maxLength: number): string | undefined {
  if (typeof value !== 'string' || value.length > maxLength * 4) return undefined;
  const cleaned = cleanText(value);
  return cleaned === '' || cleaned.length > maxLength || looksInternal(value) || looksInternal(cleaned) ? undefined : cleaned;
}

/** The client-safe detail keys, folded (any casing of the upstream's key is read). */
const safeDetailKeys: Readonly<Record<string, Exclude<keyof ContractDetails, 'fieldErrors'>>> = {
  required_scope: 'requiredScope',
  current: 'current',
  limit: 'limit',
  plan: 'plan',
  valid_transitions: 'validTransitions',
};

function isSafeDetailKey(key: string): boolean {
  return key.length <= 64 && Object.hasOwn(safeDetailKeys, foldCode(key));
}

function clientDetails(report: UpstreamErrorReport): ContractDetails | undefined {
  const details: ContractDetails = {};
  const fieldErrors = report.fieldErrors.slice(0, 100).flatMap((item) => {
    const field = sanitizeMessage(item.field, 200);
    return field === '' || looksInternal(item.field) || looksInternal(field) ? [] : [{ field, message: clientText(item.message) || 'Invalid value.' }];
  });
  if (fieldErrors.length > 0) details.fieldErrors = fieldErrors;
  for (const [key, value] of Object.entries(report.details)) {
    if (!isSafeDetailKey(key)) continue;
    const name = safeDetailKeys[foldCode(key)]!;
    if (details[name] !== undefined) continue;
    switch (name) {
      case 'current':
      case 'limit':
        if (typeof value === 'number' && Number.isFinite(value)) details[name] = value;
        break;
      case 'plan': {
        const plan = typeof value === 'string' && !looksInternal(value) ? sanitizeMessage(value, 100) : '';
        if (plan !== '') details.plan = plan;
        break;
      }
      case 'requiredScope': {
        const scopes = textList(value, 200);
        if (scopes !== undefined) details.requiredScope = typeof value === 'string' ? scopes.join(' ') : scopes;
        break;
      }
      case 'validTransitions': {
        const transitions = textList(typeof value === 'string' ? value.split(',') : value, 100);
        if (transitions !== undefined) details.validTransitions = transitions;
        break;
      }
    }
  }
  return Object.keys(details).length === 0 ? undefined : details;
}

/** A string or an array of strings, each cleaned; `undefined` when nothing is left. */
function textList(value: unknown, maxLength: number): string[] | undefined {
  const items = typeof value === 'string' ? [value] : Array.isArray(value) ? value.slice(0, maxListItems) : [];
  const texts = items.flatMap((item) => (typeof item === 'string' && !looksInternal(item) ? [sanitizeMessage(item, maxLength)] : [])).filter((text) => text !== '' && !looksInternal(text));
  return texts.length === 0 ? undefined : texts;
}

/**
 * ERRORS.md §4: always on RATE_LIMITED (the upstream's value, else `defaultRetryAfterSeconds`),
 * and on SERVICE_UNAVAILABLE when the upstream sent one or the circuit is open.
 */
function retryAfterFor(code: ErrorCode, failure: UpstreamFailure): number | undefined {
  const given = failure.kind === 'response' ? failure.report.retryAfterSeconds : failure.kind === 'circuit-open' ? failure.retryAfterSeconds : undefined;
  const seconds = typeof given === 'number' && Number.isFinite(given) ? Math.max(0, Math.ceil(given)) : undefined;
  if (code === 'RATE_LIMITED') return seconds ?? defaultRetryAfterSeconds;
  if (code === 'SERVICE_UNAVAILABLE') return seconds;
  return undefined;
}

/** What the client does not see of an upstream failure, for the log; `undefined` when it sees it all. */
function withheldDetail(error: UpstreamError, serverSide: boolean): Extensions | undefined {
  const { failure } = error;
  if (failure.kind === 'invalid-id') return undefined;
  if (failure.kind !== 'response') {
    const { kind, ...facts } = failure;
    return compact({ failure: kind, ...facts, cause: causeText(error.cause) });
  }
  const { report, status } = failure;
  const hiddenDetails = serverSide ? report.details : Object.fromEntries(Object.entries(report.details).filter(([key]) => !isSafeDetailKey(key)));
  const hasHidden = Object.keys(hiddenDetails).length > 0;
  // A 4xx text that looked internal was withheld too (see `clientText`).
  const suppressed = !serverSide && [report.message, report.title, report.instance].some((text) => text !== undefined && looksInternal(text));
  const hasServerText = suppressed || (serverSide && (report.message !== undefined || report.title !== undefined || report.instance !== undefined || report.fieldErrors.length > 0));
  if (!hasHidden && !hasServerText) return undefined;
  return compact({
    failure: 'response',
    status,
    dialect: report.dialect,
    upstreamCode: report.code,
    upstreamMessage: clip(report.message),
    upstreamType: report.problemType,
    upstreamTitle: serverSide || suppressed ? clip(report.title) : undefined,
    upstreamInstance: serverSide || suppressed ? clip(report.instance) : undefined,
    upstreamRequestId: report.upstreamRequestId,
    fieldErrors: serverSide && report.fieldErrors.length > 0 ? report.fieldErrors : undefined,
    details: hasHidden ? hiddenDetails : undefined,
  });
}

function unexpected(thrown: unknown, options: ContractErrorOptions, at: GraphQLError | undefined): GraphQLError {
  const extensions = base('INTERNAL_SERVER_ERROR', options.requestId);
  const described = describe(thrown);
  if (options.logger && firstSighting(thrown)) options.logger.error({ requestId: options.requestId, err: described }, 'unexpected error');
  if (options.exposeDetail) extensions['debug'] = described;
  return build(unexpectedErrorMessage, extensions, at);
}

function describe(thrown: unknown): Extensions {
  if (thrown instanceof Error) return compact({ name: thrown.name, message: thrown.message, stack: thrown.stack });
  return { message: textOf(thrown) };
}

function causeText(cause: unknown): string | undefined {
  if (cause === undefined) return undefined;
  return clip(cause instanceof Error ? `${cause.name}: ${cause.message}` : textOf(cause));
}

function textOf(value: unknown): string {
  try {
    return String(value);
  } catch {
    // An object whose toString throws still gets a name in the log.
    return Object.prototype.toString.call(value);
  }
}

function clip(text: string | undefined): string | undefined {
  return text === undefined || text.length <= maxLoggedTextLength ? text : `${text.slice(0, maxLoggedTextLength)}…`;
}

function compact(fields: Extensions): Extensions {
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined));
}

// One log line per failure, however many fields it nulls (a shared in-flight GET) and however
// many times it passes through here (maskError, then the result hook).
const logged = new WeakSet<object>();

function firstSighting(thrown: unknown): boolean {
  if (typeof thrown !== 'object' || thrown === null) return true;
  if (logged.has(thrown)) return false;
  logged.add(thrown);
  return true;
}
