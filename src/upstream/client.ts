/**
 * One client per upstream service. A call builds its URL from checked ids, forwards the
 * caller's credential and request id, times each attempt out, retries what is safe to retry
 * (ERRORS.md §6), goes through the service's circuit breaker, shares a GET in flight with
 * concurrent requests (`coalescing.ts`), keeps ETag'd GET bodies for conditional requests, and
 * reports every failure as an `UpstreamError` carrying facts only.
 */
import { BrokenCircuitError, CircuitState as BreakerState, ConsecutiveBreaker, circuitBreaker, handleWhen, type CircuitBreakerPolicy } from 'cockatiel';
import type { Logger } from '../log.js';
import { createCoalescer, type CoalescerOptions } from './coalescing.js';
import { createEtagCache } from './etag-cache.js';
import { createErrorReportReader } from './error-reports.js';
import { requestIdFromHeaders } from './normalize.js';
import { bodyText } from './read-body.js';
import { retryCutShort, UpstreamError, type UpstreamFailure } from './failure.js';
import { isTransportError, type HttpMethod, type Transport, type TransportResponse } from './transport.js';
import { InvalidIdError, urlBuilder, type UpstreamPath } from './url.js';
import { retryDelayMs, shouldRetry } from './retry-policy.js';

export interface UpstreamClientOptions {
  /** The service's name, as in configuration and `extensions.upstream.service`. */
  service: string;
  /** Base URL, possibly with a path prefix, no trailing slash. */
  baseUrl: string;
  transport: Transport;
  /** One attempt's timeout, in ms. @default 10000 */
  timeoutMs?: number;
  /**
   * The request deadline, in ms: when it is shorter than `timeoutMs` it is the longest an
   * attempt may wait. An attempt the deadline ends after it has waited, sent and unanswered,
   * half of that (time queued for a connection is not counted) counts against the circuit as a
   * timeout does. @default 30000
   */
  requestDeadlineMs?: number;
  /** Largest body read, in bytes. @default 10485760 */
  maxBodyBytes?: number;
  /** Attempts for a retryable call, first one included. @default 3 */
  maxAttempts?: number;
  /** Consecutive failed attempts that open the circuit. @default 5 */
  breakerThreshold?: number;
  /** How long the circuit stays open before a probe, in ms. @default 10000 */
  breakerHalfOpenAfterMs?: number;
  /** ETag'd GET bodies kept for conditional requests (entries). @default 1000 */
  etagCacheEntries?: number;
  /** ETag'd GET bodies kept for conditional requests (bytes on the wire). @default 16 MiB */
  etagCacheBytes?: number;
  /** Send the same GET only once within one GraphQL request. @default true */
  dedupe?: boolean;
  /**
   * Share a GET already in flight for another GraphQL request with the same credential, rather
   * than send it again (`coalescing.ts`). Off with `dedupe`. @default true
   */
  coalesce?: boolean;
  logger: Logger;
  /** Told of every attempt once it has ended, for metrics; it must not throw. @default none */
  onUpstreamCall?: (report: UpstreamCallReport) => void;
  /** Told of every GET that joined one in flight for another request (coalescing), for metrics; it must not throw. @default none */
  onCoalesced?: (service: string) => void;
}

/**
 * One upstream attempt, as metrics see it: no URL, path, id or header, so nothing a caller sent
 * can end up in a label.
 */
export interface UpstreamCallReport {
  service: string;
  method: HttpMethod;
  /** `ok` for a 2xx or 304, else the failure's kind (`response`, `refused`, `timeout` ...). */
  outcome: 'ok' | UpstreamFailure['kind'];
  /** The upstream's HTTP status, when it answered. */
  status?: number;
  /** From sending the request to the end of the body, in ms. */
  durationMs: number;
}

/** What one GraphQL request contributes to each of its upstream calls. */
export interface CallContext {
  /** The gateway request id, forwarded as `x-request-id`. */
  requestId: string;
  /** Allowlisted caller headers to forward (`authorization`, `accept-language`, `traceparent`...). */
  forwardHeaders: Readonly<Record<string, string>>;
  /** Aborts when the caller leaves. The deadline needs no signal: each attempt's timer is capped by it. */
  signal: AbortSignal;
  /** Epoch ms after which nothing more may be attempted. */
  deadlineAt: number;
  /** GETs already in flight or done within this request, by URL (dedupe). */
  inflight: Map<string, Promise<unknown>>;
  /** The headers every call of this request sends; made by the client on its first call. */
  upstreamHeaders?: Readonly<Record<string, string>>;
  /** The request ids of the calls in flight for other requests that this one joined (coalescing). */
  joinedRequestIds?: Set<string>;
}

export interface RequestOptions<T> {
  query?: Readonly<Record<string, string | undefined>>;
  body?: unknown;
  /** A write with this key may be retried like a GET; the key goes out on every attempt. */
  idempotencyKey?: string;
  /** Checks and types the 2xx JSON; a throw becomes `invalid-body` (BAD_GATEWAY). */
  decode: (value: unknown) => T;
  /**
   * The answer's body is never parsed: any 2xx is success and `decode` gets `null`. For a write
   * whose result is that it happened (a DELETE): an upstream that says `200 OK` in plain text
   * instead of the 204 its API names has still deleted, and a BAD_GATEWAY would tell the client
   * otherwise. @default false
   */
  ignoreBody?: boolean;
}

export type CircuitState = 'closed' | 'open' | 'half-open' | 'isolated';

export interface UpstreamClient {
  readonly service: string;
  request<T>(method: HttpMethod, target: () => UpstreamPath, call: CallContext, options: RequestOptions<T>): Promise<T>;
  /** The circuit's state and, when open, seconds until the next probe. */
  circuit(): { state: CircuitState; retryAfterSeconds?: number };
}

export function createUpstreamClient(options: UpstreamClientOptions): UpstreamClient {
  const { service, baseUrl, transport, logger } = options;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const maxBodyBytes = options.maxBodyBytes ?? 10 * 1024 * 1024;
  const maxAttempts = options.maxAttempts ?? 3;
  const halfOpenAfterMs = options.breakerHalfOpenAfterMs ?? 10_000;
  const dedupe = options.dedupe ?? true;
  const { onCoalesced } = options;
  const coalescerOptions: CoalescerOptions = {};
  if (onCoalesced) coalescerOptions.onJoin = () => onCoalesced(service);
  if (transport.ending) coalescerOptions.ending = transport.ending;
  const coalescer = dedupe && (options.coalesce ?? true) ? createCoalescer(coalescerOptions) : undefined;
  const etags = createEtagCache({ maxEntries: options.etagCacheEntries ?? 1000, maxBytes: options.etagCacheBytes ?? 16 * 1024 * 1024 });
  const buildUrl = urlBuilder(baseUrl);
  // The same failing answer is read, and then mapped, once (`error-reports.ts`).
  const readErrorReport = createErrorReportReader();
  const silentAfterMs = Math.min(timeoutMs, options.requestDeadlineMs ?? 30_000) / 2;
  // The failures of half-open probes: cockatiel runs a probe's call while the circuit still
  // reads as open (any other call is refused then), so that is how a probe is known.
  const failedProbes = new WeakSet<UpstreamError>();
  const probing = async <T>(send: () => Promise<T>): Promise<T> => {
    try {
      return await send();
    } catch (error) {
      if (error instanceof UpstreamError) failedProbes.add(error);
      throw error;
    }
  };
  const asProbeWhenOpen = <T>(send: () => Promise<T>) => (breaker.state === BreakerState.Open ? probing(send) : send());
  const breaker: CircuitBreakerPolicy = circuitBreaker(
    // A call sent before the circuit opened that fails after counts for nothing: cockatiel would
    // reopen a half-open circuit on it and then ignore the probe's success.
    handleWhen((error) => error instanceof UpstreamError && (failedProbes.has(error) ? countsAgainstCircuit(error.failure, true) : breaker.state === BreakerState.Closed && countsAgainstCircuit(error.failure, false))),
    { halfOpenAfter: halfOpenAfterMs, breaker: new ConsecutiveBreaker(options.breakerThreshold ?? 5) },
  );
  let openedAt = 0;
  breaker.onBreak(() => {
    openedAt = Date.now();
    logger.warn({ service, event: 'circuit_open', halfOpenAfterMs }, 'upstream circuit opened');
  });
  breaker.onHalfOpen(() => logger.info({ service, event: 'circuit_half_open' }, 'upstream circuit probing'));
  breaker.onReset(() => logger.info({ service, event: 'circuit_closed' }, 'upstream circuit closed'));

  const secondsToProbe = () => Math.max(0, Math.ceil((openedAt + halfOpenAfterMs - Date.now()) / 1000));

  async function attempt(method: HttpMethod, url: string, headers: Readonly<Record<string, string>>, body: string | undefined, call: CallContext, attemptNo: number, pathForLog: string): Promise<TransportResponse> {
    const fail = (failure: UpstreamFailure, cause?: unknown) =>
      new UpstreamError({ service, method, path: pathForLog, failure, attempts: attemptNo, requestId: call.requestId, cause });
    // The attempt's budget ends at the request's deadline too; the transport times it out and
    // ends it when the caller leaves.
    let response: TransportResponse;
    try {
      response = await transport.send({ method, url, headers, body, signal: call.signal, timeoutMs, deadlineAt: call.deadlineAt, maxBodyBytes });
    } catch (error) {
      if (!isTransportError(error)) throw error;
      if (error.kind === 'too-large') throw fail({ kind: 'too-large', limitBytes: maxBodyBytes }, error);
      if (error.kind === 'deadline' && (error.unansweredMs ?? 0) >= silentAfterMs) throw fail({ kind: 'deadline', silent: true }, error);
      throw fail({ kind: error.kind }, error);
    }
    const { status } = response;
    if ((status >= 200 && status < 300) || status === 304) return response;
    const report = readErrorReport(status, response.headers, response.body);
    throw fail(status >= 300 && status < 400 ? { kind: 'redirect', status, report } : { kind: 'response', status, report });
  }

  async function observed(method: HttpMethod, url: string, headers: Readonly<Record<string, string>>, body: string | undefined, call: CallContext, attemptNo: number, pathForLog: string): Promise<TransportResponse> {
    const report = options.onUpstreamCall;
    if (report === undefined) return attempt(method, url, headers, body, call, attemptNo, pathForLog);
    const startedAt = performance.now();
    try {
      const response = await attempt(method, url, headers, body, call, attemptNo, pathForLog);
      report({ service, method, outcome: 'ok', status: response.status, durationMs: performance.now() - startedAt });
      return response;
    } catch (error) {
      // Counted, then passed on unchanged: the retry loop decides what happens next.
      if (error instanceof UpstreamError) {
        const { failure } = error;
        const status = failure.kind === 'response' || failure.kind === 'redirect' ? failure.status : undefined;
        const failed: UpstreamCallReport = { service, method, outcome: failure.kind, durationMs: performance.now() - startedAt };
        if (status !== undefined) failed.status = status;
        report(failed);
      }
      throw error;
    }
  }

  async function send<T>(method: HttpMethod, url: string, pathForLog: string, call: CallContext, options: RequestOptions<T>, key?: string, firstAttempt = 1): Promise<T> {
    const cacheKey = method === 'GET' ? (key ?? etags.keyFor(url, call.forwardHeaders)) : undefined;
    const cached = cacheKey === undefined ? undefined : etags.get(cacheKey);
    // The same for every call of the request: made once (a fan-out query makes 26 calls).
    const common = (call.upstreamHeaders ??= commonHeaders(call));
    const body = options.body === undefined ? undefined : JSON.stringify(options.body);
    let headers = common;
    if (cached || options.idempotencyKey !== undefined || body !== undefined) {
      const own = copyOf(common);
      if (cached) own['if-none-match'] = cached.etag;
      if (options.idempotencyKey !== undefined) own['idempotency-key'] = options.idempotencyKey;
      if (body !== undefined) own['content-type'] = 'application/json';
      headers = own;
    }
    const retryable = method === 'GET' || method === 'HEAD' || options.idempotencyKey !== undefined;

    let response: TransportResponse | undefined;
    let lastFailure: UpstreamError | undefined;
    // From attempt 1, or from the retry a joined call makes for a first caller that stopped waiting.
    for (let attemptNo = firstAttempt; response === undefined; attemptNo++) {
      const failed = (failure: UpstreamFailure) => new UpstreamError({ service, method, path: pathForLog, failure, attempts: attemptNo, requestId: call.requestId });
      // Checked before the breaker too: a half-open circuit's probe must be a call that was sent.
      if (call.deadlineAt <= Date.now()) throw failed({ kind: 'deadline' });
      try {
        const passed = breaker.execute(() =>
          asProbeWhenOpen(() => {
            // A call that waited behind a half-open probe runs after it: its deadline may have
            // passed, or its caller gone (it was answered at once then, and must not be sent).
            if (call.signal.aborted) throw failed({ kind: 'aborted' });
            if (call.deadlineAt <= Date.now()) throw failed({ kind: 'deadline' });
            return observed(method, url, headers, body, call, attemptNo, pathForLog).catch(answeredAllTheSame);
          }),
        );
        // Queued behind a half-open circuit's probe, a call waits no longer than its own deadline.
        const outcome = await (breaker.state === BreakerState.HalfOpen ? untilDeadline(passed, call, failed) : passed);
        if (outcome instanceof UpstreamError) throw outcome;
        response = outcome;
      } catch (error) {
        if (error instanceof BrokenCircuitError) {
          // This call failed before it found the circuit open: the caller hears what the upstream did.
          if (lastFailure !== undefined) throw lastFailure;
          throw new UpstreamError({ service, method, path: pathForLog, failure: { kind: 'circuit-open', retryAfterSeconds: secondsToProbe() }, attempts: attemptNo - 1, requestId: call.requestId });
        }
        if (!(error instanceof UpstreamError) || !retryable || attemptNo >= maxAttempts || !shouldRetry(error.failure)) throw error;
        lastFailure = error;
        const waitMs = retryDelayMs(attemptNo, error.failure);
        const retryAt = Date.now() + waitMs;
        // Not waited for by this caller, whose time ends first: one that joined the call may.
        if (retryAt >= call.deadlineAt) throw retryCutShort(error, { retryAt, attempt: attemptNo + 1 });
        logger.debug({ requestId: call.requestId, service, method, path: pathForLog, attempt: attemptNo, waitMs, failure: error.failure.kind }, 'retrying upstream call');
        // A stopping gateway answers with what it has: the last failure, not a doomed attempt.
        await sleep(waitMs, call.signal, transport.ending);
        if (transport.ending?.aborted) throw error;
        if (call.signal.aborted) throw retryCutShort(error, { retryAt, attempt: attemptNo + 1 });
      }
    }

    // A 2xx (or 304) that cannot be used (BAD_GATEWAY), with the upstream's request id when it sent one.
    const invalidBody = (answer: TransportResponse, reason: string, cause?: unknown): UpstreamError => {
      const failure: UpstreamFailure = { kind: 'invalid-body', status: answer.status, reason };
      const upstreamRequestId = requestIdFromHeaders(answer.headers);
      if (upstreamRequestId !== undefined) failure.upstreamRequestId = upstreamRequestId;
      return new UpstreamError({ service, method, path: pathForLog, failure, attempts: 1, requestId: call.requestId, cause });
    };
    let value: unknown;
    let text: string | undefined;
    if (response.status === 304) {
      if (!cached) throw invalidBody(response, '304 to an unconditional request');
      value = JSON.parse(cached.text);
    } else if (response.status === 204 || options.ignoreBody === true || (response.body.byteLength === 0 && method !== 'GET')) {
      value = null;
    } else {
      try {
        text = bodyText(response.body, response.headers['content-type']);
        value = JSON.parse(text);
      } catch (error) {
        throw invalidBody(response, 'not JSON', error);
      }
    }
    let decoded: T;
    try {
      decoded = options.decode(value);
    } catch (error) {
      throw invalidBody(response, 'unexpected shape', error);
    }
    // Kept as the text it came as, whose size is what the cache counts (parsed, `[[],[],…]` takes
    // ten times its text), and only once it proved usable.
    const etag = response.headers['etag'];
    if (text !== undefined && cacheKey !== undefined) {
      if (etag) etags.set(cacheKey, { etag, text });
      // A newer body without a validator: the one kept is out of date, and a 304 to its old
      // ETag would bring it back.
      else if (cached) etags.delete(cacheKey);
    }
    return decoded;
  }

  return {
    service,
    async request<T>(method: HttpMethod, target: () => UpstreamPath, call: CallContext, options: RequestOptions<T>): Promise<T> {
      if (options.idempotencyKey !== undefined && !isSaneIdempotencyKey(options.idempotencyKey)) {
        const reason = `1 to ${maxIdempotencyKeyLength} printable ASCII characters, no space at either end`;
        throw new UpstreamError({ service, method, path: '(invalid key)', failure: { kind: 'invalid-key', reason }, attempts: 0, requestId: call.requestId });
      }
      let url: string;
      let pathForLog: string;
      try {
        const built = target();
        pathForLog = built.path;
        url = buildUrl(built, options.query);
      } catch (error) {
        if (!(error instanceof InvalidIdError)) throw error;
        throw new UpstreamError({ service, method, path: '(invalid id)', failure: { kind: 'invalid-id', reason: error.message }, attempts: 0, requestId: call.requestId });
      }
      if (method !== 'GET' && method !== 'HEAD') {
        // Read your writes: within this request, a GET made before the write is not reused after
        // it (a mutation's later fields read again), nor one made while it runs.
        call.inflight.clear();
        const written = () => send(method, url, pathForLog, call, options).finally(() => call.inflight.clear());
        // Across requests, the GETs in flight are not joined any more.
        return coalescer === undefined ? written() : coalescer.write(written);
      }
      if (method !== 'GET' || !dedupe) return send(method, url, pathForLog, call, options);
      // The same GET within one GraphQL request is sent once (dedupe within a request), and one
      // in flight for another request with the same credential is shared (coalescing).
      let pending = call.inflight.get(url) as Promise<T> | undefined;
      if (!pending) {
        const key = etags.keyFor(url, call.forwardHeaders);
        const sending = (firstAttempt = 1) => send(method, url, pathForLog, call, options, key, firstAttempt);
        pending = coalescer === undefined ? sending() : coalescer.get(key, call, sending);
        call.inflight.set(url, pending);
      }
      return pending;
    },
    circuit() {
      const state = breaker.state as unknown as number;
      // cockatiel's CircuitState: 0 closed, 1 open, 2 half-open, 3 isolated.
      const name: CircuitState = (['closed', 'open', 'half-open', 'isolated'] as const)[state] ?? 'closed';
      if (name !== 'open') return { state: name };
      // cockatiel moves to half-open only when the next call arrives; once the wait is over the
      // next call is the probe, so report that (a readiness check must not keep traffic away for ever).
      if (Date.now() >= openedAt + halfOpenAfterMs) return { state: 'half-open' };
      return { state: name, retryAfterSeconds: secondsToProbe() };
    },
  };
}


/**
 * The headers every call of a request sends. Copied member by member: in V8, adding a property
 * to an object made by a spread takes a slow path (about 1 µs, against 30 ns).
 */
function commonHeaders(call: CallContext): Record<string, string> {
  const headers = copyOf(call.forwardHeaders);
  headers['accept'] = 'application/json';
  headers['x-request-id'] = call.requestId;
  return headers;
}

function copyOf(headers: Readonly<Record<string, string>>): Record<string, string> {
  const copy: Record<string, string> = {};
  for (const name of Object.keys(headers)) copy[name] = headers[name]!;
  return copy;
}

/** The longest `Idempotency-Key` sent, in characters. */
export const maxIdempotencyKeyLength = 255;

const idempotencyKeyShape = /^[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?$/;

/**
 * Whether `key` can go out as an `Idempotency-Key` header as it is: printable ASCII, not blank,
 * no space at either end (a header value would lose it), at most `maxIdempotencyKeyLength`.
 */
export function isSaneIdempotencyKey(key: string): boolean {
  return key.length <= maxIdempotencyKeyLength && idempotencyKeyShape.test(key);
}

/**
 * Failures that say the service itself is unwell: refused, reset, unreadable answers, timeouts
 * (a long wait the request's deadline ended too), 5xx but 501. A half-open circuit's probe must
 * also get an answer: one its caller left, or the deadline ended, proves nothing and opens the
 * circuit again (cockatiel would take it for a success and close it).
 */
function countsAgainstCircuit(failure: UpstreamFailure, probing: boolean): boolean {
  switch (failure.kind) {
    case 'response':
      return failure.status >= 500 && failure.status < 600 && failure.status !== 501;
    case 'refused':
    case 'reset':
    case 'malformed':
    case 'timeout':
      return true;
    case 'deadline':
      return probing || failure.silent === true;
    case 'aborted':
      return probing;
    default:
      return false;
  }
}

/**
 * A failed attempt the service itself answered without being unwell (a 4xx, a redirect) is handed
 * to the circuit breaker as a value, so that it counts as the success it is for the circuit: it
 * ends a run of consecutive failures (thrown, cockatiel would count it neither way). The caller
 * still gets it as the failure it is. Any other failure is thrown on.
 */
function answeredAllTheSame(error: unknown): UpstreamError {
  if (error instanceof UpstreamError && (error.failure.kind === 'response' || error.failure.kind === 'redirect') && !countsAgainstCircuit(error.failure, false)) return error;
  throw error;
}

/**
 * `work`, or a `deadline` failure at the call's deadline, or an `aborted` one when its caller
 * leaves, whichever comes first (`fail` makes them); `work` runs on unobserved.
 */
function untilDeadline<T>(work: Promise<T>, call: CallContext, fail: (failure: UpstreamFailure) => UpstreamError): Promise<T> {
  if (call.signal.aborted) {
    work.catch(() => undefined); // runs on unobserved: its failure must not go unhandled
    return Promise.reject(fail({ kind: 'aborted' }));
  }
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => settle(() => reject(fail({ kind: 'deadline' }))), Math.max(0, call.deadlineAt - Date.now()));
    const onAbort = () => settle(() => reject(fail({ kind: 'aborted' })));
    call.signal.addEventListener('abort', onAbort, { once: true });
    function settle(then: () => void) {
      clearTimeout(timer);
      call.signal.removeEventListener('abort', onAbort);
      then();
    }
    work.then(
      (value) => settle(() => resolve(value)),
      (error: unknown) => settle(() => reject(error)),
    );
  });
}

/** Resolves after `ms`, or as soon as either signal aborts. */
function sleep(ms: number, signal: AbortSignal, ending: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted || ending?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      ending?.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
    ending?.addEventListener('abort', done, { once: true });
  });
}
