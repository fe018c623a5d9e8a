/**
 * The one way resolvers reach an upstream: a service, a method, a path built from checked ids,
 * and a decoder. A failure is thrown already on the error contract, at the field that failed.
 */
import { responsePathAsArray, type GraphQLResolveInfo } from 'graphql';
import { upstreamErrorAt } from '../errors/to-graphql-error.js';
import type { ServiceName } from '../config.js';
import type { RequestOptions } from '../upstream/client.js';
import { isUpstreamError, UpstreamError } from '../upstream/failure.js';
import type { HttpMethod } from '../upstream/transport.js';
import { idProblem, type UpstreamPath } from '../upstream/url.js';
import type { GatewayContext } from './builder.js';

export function callUpstream<T>(
  context: GatewayContext,
  info: GraphQLResolveInfo,
  service: ServiceName,
  method: HttpMethod,
  target: () => UpstreamPath,
  options: RequestOptions<T>,
): Promise<T> {
  return context.upstreams[service].request(method, target, context.call, options).catch((error: unknown) => {
    // Mapped here, where the field is known, rather than after execution: graphql-js would
    // otherwise wrap the failure in a GraphQLError (with a stack trace) only for the contract
    // to replace it, and each GraphQLError is a measurable share of the error path's cost.
    if (!isUpstreamError(error)) throw error;
    throw upstreamErrorAt(error, context.contract, context.requestId, fieldOf(info), () => callerSecrets(context, options));
  });
}

/** The caller's own secrets that this call could have sent: its bearer key (and whole `Authorization`), its idempotency keys. */
function callerSecrets(context: GatewayContext, options: RequestOptions<unknown>): string[] {
  const secrets: string[] = [];
  const authorization = context.call.forwardHeaders['authorization'];
  if (authorization !== undefined) secrets.push(authorization, authorization.replace(/^\S+\s+/, ''));
  for (const key of [options.idempotencyKey, context.idempotencyKey, context.idempotencyKeySent]) if (key !== undefined) secrets.push(key);
  return secrets;
}

/**
 * An id read from `service`'s answer (a project's `ownerId`, the id of the project itself), checked
 * before it goes into another call's path. One that cannot be a path segment is that answer's
 * fault: the field fails with `BAD_GATEWAY` from `service`, and no call is made. The same id from
 * the caller is its input, refused with `VALIDATION_ERROR` when the path is built.
 */
export function idFromAnswer(context: GatewayContext, info: GraphQLResolveInfo, service: ServiceName, id: string): string {
  const problem = idProblem(id);
  if (problem === undefined) return id;
  const failure = { kind: 'invalid-body' as const, reason: `an id in its answer cannot be a path segment: ${problem}` };
  const error = new UpstreamError({ service, method: 'GET', path: '(an id in an earlier answer)', failure, attempts: 0, requestId: context.requestId });
  throw upstreamErrorAt(error, context.contract, context.requestId, fieldOf(info));
}

/** Where a field's error goes: its nodes and its path. */
function fieldOf(info: GraphQLResolveInfo) {
  return { nodes: info.fieldNodes, path: responsePathAsArray(info.path) };
}
