/**
 * `/health`, `/ready` and `/metrics` are read by probes and scrapers: they answer `GET` and
 * `HEAD` only. Any other method gets 405 with `Allow`, in the contract's error shape, so that a
 * `POST /ready` from a misconfigured probe is told what to send rather than answered as if it
 * were a read.
 */
import { refusal, type ResponseMaker } from './refusal.js';

const allowed = 'GET, HEAD';

/** The 405 for `request` to the read-only endpoint `path`, or `undefined` when its method is allowed. */
export function readOnlyRefusal(fetchAPI: ResponseMaker, request: Request, path: string): Response | undefined {
  const { method } = request;
  if (method === 'GET' || method === 'HEAD') return undefined;
  return refusal(fetchAPI, request, 'VALIDATION_ERROR', `${path} only answers GET and HEAD requests.`, { status: 405, headers: { allow: allowed } });
}
