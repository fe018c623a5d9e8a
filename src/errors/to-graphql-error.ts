/**
 * The one function that puts anything thrown onto the error contract (ERRORS.md §4): an
 * upstream failure becomes its canonical code with `upstream`, client-safe `details` and
 * `retryAfter`; a GraphQL request error keeps its message; anything else is a bug, masked as
 * `Unexpected error.` and logged. The result is always a plain `GraphQLError`.
 */
import { getLocation, GraphQLError, type GraphQLErrorOptions } from 'graphql';
import type { Logger } from '../log.js';
import { scrubSecrets, withoutValues } from '../redaction.js';
import { isUpstreamError, type UpstreamError, type UpstreamErrorReport, type UpstreamFailure } from '../upstream/failure.js';
import { codeForFailure, type ErrorOverrides } from './classify.js';
import { clientDetails, isSafeDetailKey, type ContractDetails } from './client-details.js';
import { maxMessageLength, sanitizeMessage, shortText, showMessage, showWhole, type ShownText } from './client-text.js';
import { defaultClientMessages, isErrorCode, serverMessageFor, statusOfCode, type ErrorCode } from './codes.js';
import { looksInternal } from './internal-text.js';

export type { ContractDetails } from './client-details.js';
export { maxMessageLength, sanitizeMessage } from './client-text.js';

const maxLoggedTextLength = 2_000;

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

/** `retryAfter` on `RATE_LIMITED` when the upstream gave none, in seconds: a minute, the usual window. */
export const defaultRetryAfterSeconds = 60;

/** The message of every masked gateway failure. */
export const unexpectedErrorMessage = 'Unexpected error.';

/** Maps anything thrown to the contract; see the module comment. */
export function toGraphQLError(error: unknown, options: ContractErrorOptions = {}): GraphQLError {
  if (error instanceof GraphQLError) {
    // Mapping is idempotent: an error this module made is already on the contract (yoga's masking
    // and the contract plugin both see every execution error).
    if (contractErrors.has(error) && (options.requestId === undefined || error.extensions['requestId'] === options.requestId)) return error;
    logWithRequestId(error, options.requestId);
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

/** Where an error sits in the response: a field's nodes and path, or a document position. */
export type ErrorLocation = Partial<Pick<GraphQLError, 'nodes' | 'source' | 'positions' | 'path'>>;

/**
 * An upstream failure put on the contract at the field that failed, in one step: what
 * `toGraphQLError` would make of graphql-js's wrapping of it, without that wrapping (each
 * `GraphQLError` costs several microseconds to build, and the error path builds few).
 */
export function upstreamErrorAt(error: UpstreamError, options: ContractErrorOptions, requestId: string, at: ErrorLocation, callerSecrets?: () => readonly string[]): GraphQLError {
  // The request id apart from the options shared by every request: an object spread followed by
  // another member costs about 1.3 µs in Node 20, once per failed field.
  return fromUpstreamError(error, options, at, requestId, callerSecrets);
}

/** Every error `build` made, so that mapping one again costs nothing. */
const contractErrors = new WeakSet<GraphQLError>();

/** A plain `GraphQLError` at `at`'s path and locations, when given one. */
function build(message: string, extensions: Extensions, at: ErrorLocation | undefined): GraphQLError {
  const error = graphQLErrorWithoutStack(message, { nodes: at?.nodes, source: at?.source, positions: at?.positions, path: at?.path, extensions });
  contractErrors.add(error);
  return error;
}

/**
 * A `GraphQLError` with no stack trace captured, for errors that report what a client or an
 * upstream did (never shown with a stack). It is made without running graphql-js's
 * constructor: that constructor redefines six properties of an `Error` with
 * `Object.defineProperties`, which takes about 10 µs in Node 20, more than the rest of mapping a
 * failed field. The result is the same: an instance of `GraphQLError` with the same own
 * properties, visible and hidden, the same `locations`, and the prototype's `toJSON` and
 * `toString`.
 */
export function graphQLErrorWithoutStack(message: string, options: GraphQLErrorOptions): GraphQLError {
  const stackTraceLimit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  // An `Error` whose prototype is GraphQLError's, without running GraphQLError's constructor.
  // Made without its message, which is assigned below and so enumerates as in a GraphQLError:
  // redefining the message of an `Error` made with one, and an `Object.assign`, took 3.3 µs to
  // make and serialise an error, against 2.8 µs now.
  const error = Reflect.construct(Error, [], GraphQLError) as GraphQLError;
  Error.stackTraceLimit = stackTraceLimit;
  // What that constructor derives: nodes as a list, the source and positions from the nodes'
  // locations unless given, line and column from the positions.
  const { source: givenSource, positions: givenPositions, path, originalError, extensions } = options;
  const nodes = options.nodes === undefined || options.nodes === null ? [] : Array.isArray(options.nodes) ? options.nodes : [options.nodes];
  const nodeLocations = nodes.flatMap((node) => (node.loc ? [node.loc] : []));
  const source = givenSource ?? nodeLocations[0]?.source;
  const positions = givenPositions ?? (nodeLocations.length === 0 ? undefined : nodeLocations.map((loc) => loc.start));
  const locations =
    givenPositions && givenSource
      ? givenPositions.map((position) => getLocation(givenSource, position))
      : nodeLocations.length === 0
        ? undefined
        : nodeLocations.map((loc) => getLocation(loc.source, loc.start));
  const fields = error as { -readonly [K in 'message' | 'path' | 'locations' | 'extensions']: GraphQLError[K] };
  fields.message = message;
  fields.path = path ?? undefined;
  fields.locations = locations;
  fields.extensions = extensions ?? originalExtensions(originalError) ?? Object.create(null);
  hide(error, 'name', 'GraphQLError');
  hide(error, 'originalError', originalError ?? undefined);
  hide(error, 'nodes', nodes.length === 0 ? undefined : nodes);
  hide(error, 'source', source);
  hide(error, 'positions', positions?.length === 0 ? undefined : positions);
  return error;
}

function hide(error: Error, key: string, value: unknown): void {
  Object.defineProperty(error, key, { value, writable: true, enumerable: false, configurable: true });
}

function originalExtensions(originalError: Error | null | undefined): Extensions | undefined {
  const extensions = (originalError as { extensions?: unknown } | null | undefined)?.extensions;
  return typeof extensions === 'object' && extensions !== null ? (extensions as Extensions) : undefined;
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
const keptExtensions = ['upstream', 'details', 'retryAfter', 'http'] as const;

/** Parse and validation errors, and contract errors already made: the message stays. */
function fromRequestError(error: GraphQLError, options: ContractErrorOptions): GraphQLError {
  const { code: given, requestId: givenRequestId } = error.extensions;
  const rest: Extensions = {};
  for (const key of keptExtensions) if (error.extensions[key] !== undefined) rest[key] = error.extensions[key];
  // yoga failing to pick the operation (an unknown operationName) is a request error like an
  // invalid document: 200 under application/json, 400 under graphql-response+json (ERRORS.md §5).
  if (given === 'OPERATION_RESOLUTION_FAILURE' && typeof rest['http'] === 'object' && rest['http'] !== null) rest['http'] = { ...rest['http'], spec: true };
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

/**
 * graphql-js names schema members it guessed at (" Did you mean …?"); that reveals the schema.
 * One optional space before it, not `\s*`: a message can quote a caller's input, and `\s*` tried
 * at every space of a long run of them takes quadratic time.
 */
function withoutSuggestions(message: string): string {
  return message.replace(/ ?Did you mean [^?]{0,500}\?/g, '').trim();
}

/**
 * `callerSecrets` gives the values of the caller's that must not reach the log even where an
 * upstream echoed them bare (its bearer key, its idempotency key), asked only when a line is written.
 */
function fromUpstreamError(error: UpstreamError, options: ContractErrorOptions, at: ErrorLocation | undefined, givenRequestId = options.requestId, callerSecrets?: () => readonly string[]): GraphQLError {
  const mapped = mappedFailure(error, options.overrides);
  const requestId = givenRequestId ?? error.requestId;
  const extensions = base(mapped.code, requestId);
  if (mapped.upstream !== undefined) extensions['upstream'] = mapped.upstream;
  if (mapped.details !== undefined) extensions['details'] = mapped.details;
  if (mapped.retryAfter !== undefined) extensions['retryAfter'] = mapped.retryAfter;
  const { withheld } = mapped;
  if (withheld !== undefined) {
    if (options.exposeDetail) extensions['debug'] = withheld;
    if (options.logger && firstSightingIn(error, requestId)) {
      const line = { requestId, service: error.service, method: error.method, path: error.path, code: mapped.code, attempts: error.attempts, ...withheld };
      options.logger.warn(callerSecrets ? (withoutValues(line, callerSecrets()) as typeof line) : line, 'upstream error detail withheld');
    }
  }
  return build(mapped.message, extensions, at);
}

/** What an upstream failure maps to, whichever request and field it reaches. */
interface MappedFailure {
  overrides: ErrorOverrides | undefined;
  /** With the two below, what a mapping kept per report also depends on. */
  service: string;
  status: number | undefined;
  code: ErrorCode;
  message: string;
  upstream?: UpstreamExtension;
  details?: ContractDetails;
  retryAfter?: number;
  withheld?: Extensions;
}

// A failure is mapped once: a GET shared by coalesced requests fails each of them (and a GET
// deduped within a request, each field that asked), and only the request id and the field differ.
// An upstream answer is mapped once too: its mapping depends only on the report read from it,
// the status, the service and the overrides, and a client reads the same answer into the same
// report (`upstream/error-reports.ts`), so mappings of answers are kept by report.
const mappedFailures = new WeakMap<object, MappedFailure>();

function mappedFailure(error: UpstreamError, overrides: ErrorOverrides | undefined): MappedFailure {
  const { failure, service } = error;
  const key: object = failure.kind === 'response' ? failure.report : error;
  const status = failure.kind === 'response' ? failure.status : undefined;
  const known = mappedFailures.get(key);
  if (known !== undefined && known.overrides === overrides && known.service === service && known.status === status) return known;
  const code = codeForFailure(failure, service, overrides);
  const serverSide = statusOfCode[code] >= 500;
  // A redirect's body is read like any other answer's: an override may make it a 4xx.
  const report = failure.kind === 'response' || failure.kind === 'redirect' ? failure.report : undefined;
  // A 4xx's texts reach the client unless they look internal; each is judged once, here.
  const shown = report === undefined || serverSide ? undefined : shownTexts(report);
  const mapped: MappedFailure = { overrides, service, status, code, message: messageFor(code, error, shown) };
  // ERRORS.md §4: `upstream` only when an upstream caused the error, not for input refused before any call.
  if (!refusedBeforeCall(failure)) mapped.upstream = upstreamExtension(error, shown);
  const details = report === undefined || serverSide ? undefined : clientDetails(report);
  if (details !== undefined) mapped.details = details;
  const retryAfter = retryAfterFor(code, failure);
  if (retryAfter !== undefined) mapped.retryAfter = retryAfter;
  const withheld = withheldDetail(error, serverSide, shown);
  if (withheld !== undefined) mapped.withheld = withheld;
  mappedFailures.set(key, mapped);
  return mapped;
}

/** A 4xx report's texts as a client sees them. */
interface ShownTexts {
  message: ShownText;
  title: ShownText;
  instance: ShownText;
}

function shownTexts(report: UpstreamErrorReport): ShownTexts {
  return { message: showMessage(report.message), title: showWhole(report.title, maxMessageLength), instance: showWhole(report.instance, 512) };
}

/** Input refused before any call: an id or an idempotency key that could not be sent. */
function refusedBeforeCall(failure: UpstreamFailure): failure is Extract<UpstreamFailure, { kind: 'invalid-id' | 'invalid-key' }> {
  return failure.kind === 'invalid-id' || failure.kind === 'invalid-key';
}

function messageFor(code: ErrorCode, error: UpstreamError, shown: ShownTexts | undefined): string {
  const { failure } = error;
  if (refusedBeforeCall(failure)) {
    // The reason names the rule broken, never the value; cut short in case a caller put one in.
    const what = failure.kind === 'invalid-id' ? 'Invalid id' : 'Invalid idempotency key';
    const reason = sanitizeMessage(failure.reason, 64).replace(/(?<![.\s])[.\s]+$/, '');
    return reason === '' ? `${what}.` : `${what}: ${reason}.`;
  }
  if (statusOfCode[code] >= 500) return serverMessageFor(code, error.service);
  return shown?.message.text ?? defaultClientMessages[code];
}

const identifierShape = /^[A-Za-z0-9][\w.:/-]*$/;

/** A Problem `type` is a URI reference: one with whitespace (`Connection to db failed`) is free text. */
const uriReferenceShape = /^[^\s\p{C}]+$/u;

/**
 * The Problem `type` a client may see: a URI reference of at most 512 characters that does not
 * look internal. A type names a public document, so a deep public host name is expected in it.
 */
function shownType(report: UpstreamErrorReport): string | undefined {
  const type = shortText(report.problemType, 512, { dottedNamesExpected: true });
  return type !== undefined && uriReferenceShape.test(type) ? type : undefined;
}

/**
 * For a 5xx code (no `shown` texts) only the members that are not free text: the service,
 * status, code, type and request id (a code or type that reads as free text is left out).
 */
function upstreamExtension(error: UpstreamError, shown: ShownTexts | undefined): UpstreamExtension {
  const { failure } = error;
  const upstream: UpstreamExtension = { service: error.service };
  if ((failure.kind === 'response' || failure.kind === 'redirect' || failure.kind === 'invalid-body') && failure.status !== undefined) upstream.status = failure.status;
  if (failure.kind === 'invalid-body' && shownRequestId(failure.upstreamRequestId)) upstream.requestId = failure.upstreamRequestId;
  if (failure.kind !== 'response' && failure.kind !== 'redirect') return upstream;
  const { report } = failure;
  // A code is an identifier: one with spaces is free text (`Deadlock found when trying to get
  // lock`), which a 5xx must never show; the status alone then decided.
  const code = shortText(report.code, 128);
  if (code !== undefined && identifierShape.test(code)) upstream.code = code;
  const type = shownType(report);
  if (type !== undefined) upstream.type = type;
  if (shown?.title.text !== undefined) upstream.title = shown.title.text;
  if (shown?.instance.text !== undefined) upstream.instance = shown.instance.text;
  if (shownRequestId(report.upstreamRequestId)) upstream.requestId = report.upstreamRequestId;
  return upstream;
}

/** An upstream's request id is a safe token already; one that is an address (`127.0.0.1:5432`) is still not shown. */
function shownRequestId(id: string | undefined): id is string {
  return id !== undefined && !looksInternal(id);
}

/**
 * ERRORS.md §4: always on RATE_LIMITED (the upstream's value, else `defaultRetryAfterSeconds`),
 * and on SERVICE_UNAVAILABLE when the upstream sent one or the circuit is open.
 */
function retryAfterFor(code: ErrorCode, failure: UpstreamFailure): number | undefined {
  // A redirect carries a report too: an override may make it RATE_LIMITED (ERRORS.md §2).
  const given = failure.kind === 'response' || failure.kind === 'redirect' ? failure.report.retryAfterSeconds : failure.kind === 'circuit-open' ? failure.retryAfterSeconds : undefined;
  const seconds = typeof given === 'number' && Number.isFinite(given) ? Math.max(0, Math.ceil(given)) : undefined;
  if (code === 'RATE_LIMITED') return seconds ?? defaultRetryAfterSeconds;
  if (code === 'SERVICE_UNAVAILABLE') return seconds;
  return undefined;
}

/** What the client does not see of an upstream failure, for the log; `undefined` when it sees it all. */
function withheldDetail(error: UpstreamError, serverSide: boolean, shown: ShownTexts | undefined): Extensions | undefined {
  const { failure } = error;
  if (refusedBeforeCall(failure)) return undefined;
  if (failure.kind === 'redirect') return { failure: 'redirect', status: failure.status };
  if (failure.kind !== 'response') {
    const { kind, ...facts } = failure;
    return compact({ failure: kind, ...facts, cause: causeText(error.cause) });
  }
  const { report, status } = failure;
  const hiddenDetails = serverSide ? report.details : Object.fromEntries(Object.entries(report.details).filter(([key]) => !isSafeDetailKey(key)));
  const hasHidden = Object.keys(hiddenDetails).length > 0;
  // A 4xx text that looked internal was withheld too.
  const suppressed = (shown !== undefined && (shown.message.internal || shown.title.internal || shown.instance.internal)) || (report.problemType !== undefined && shownType(report) === undefined);
  const hasServerText = suppressed || (serverSide && (report.message !== undefined || report.title !== undefined || report.instance !== undefined || report.fieldErrors.length > 0));
  if (!hasHidden && !hasServerText) return undefined;
  return compact({
    failure: 'response',
    status,
    dialect: report.dialect,
    upstreamCode: clip(report.code),
    upstreamMessage: clip(report.message),
    upstreamType: clip(report.problemType),
    upstreamTitle: serverSide || suppressed ? clip(report.title) : undefined,
    upstreamInstance: serverSide || suppressed ? clip(report.instance) : undefined,
    upstreamRequestId: report.upstreamRequestId,
    fieldErrors: serverSide && report.fieldErrors.length > 0 ? clipJson(report.fieldErrors) : undefined,
    details: hasHidden ? clipJson(hiddenDetails) : undefined,
  });
}

function unexpected(thrown: unknown, options: ContractErrorOptions, at: GraphQLError | undefined): GraphQLError {
  const extensions = base('INTERNAL_SERVER_ERROR', options.requestId);
  const described = describe(thrown);
  if (options.exposeDetail) extensions['debug'] = described;
  const masked = build(unexpectedErrorMessage, extensions, at);
  if (options.logger && firstSighting(thrown)) {
    // yoga's masking knows no request: the line waits for the mapping that knows its id.
    if (options.requestId === undefined) unlogged.set(masked, { logger: options.logger, described });
    else options.logger.error({ requestId: options.requestId, err: described }, 'unexpected error');
  }
  return masked;
}

/** Masked failures whose log line waits for the request id (see `unexpected`). */
const unlogged = new WeakMap<GraphQLError, { logger: Logger; described: Extensions }>();

/** Logs a masked failure that waited for its request id, now that one is known. */
function logWithRequestId(error: GraphQLError, requestId: string | undefined): void {
  const waiting = unlogged.get(error);
  if (waiting === undefined || requestId === undefined) return;
  unlogged.delete(error);
  waiting.logger.error({ requestId, err: waiting.described }, 'unexpected error');
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

/**
 * Parsed JSON for the log, its secrets scrubbed: as it is, or its text cut to
 * `maxLoggedTextLength` when longer (an upstream may send megabytes). Scrubbed first: once cut
 * to text, a secret's key can no longer be told apart. Scrubbing also stops at a depth, so JSON
 * nested thousands deep (which parses, but overflowed the stack when written back) is not.
 */
function clipJson(value: object): object | string {
  const scrubbed = scrubSecrets(value) as object;
  const text = JSON.stringify(scrubbed);
  return text.length <= maxLoggedTextLength ? scrubbed : `${text.slice(0, maxLoggedTextLength)}…`;
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

// The same for an upstream failure, once in each request it reaches: a GET shared by concurrent
// requests (coalescing) fails them all, and each request's id must lead to its detail.
const loggedIn = new WeakMap<UpstreamError, Set<string | undefined>>();

function firstSightingIn(error: UpstreamError, requestId: string | undefined): boolean {
  let requests = loggedIn.get(error);
  if (requests === undefined) loggedIn.set(error, (requests = new Set()));
  if (requests.has(requestId)) return false;
  requests.add(requestId);
  return true;
}

function firstSighting(thrown: unknown): boolean {
  if (typeof thrown !== 'object' || thrown === null) return true;
  if (logged.has(thrown)) return false;
  logged.add(thrown);
  return true;
}
