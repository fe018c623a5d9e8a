/**
 * The one way resolvers reach an upstream: a service, a method, a path built from checked ids,
 * and a decoder. Failures are thrown as they are, at the field that failed; `errors/` maps them
 * to the contract.
 */
import { responsePathAsArray, type GraphQLError, type GraphQLResolveInfo } from 'graphql';
import { graphQLErrorWithoutStack } from '../errors/to-graphql-error.js';
import type { ServiceName } from '../config.js';
import type { RequestOptions } from '../upstream/client.js';
import { isUpstreamError } from '../upstream/failure.js';
import type { HttpMethod } from '../upstream/transport.js';
import type { UpstreamPath } from '../upstream/url.js';
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
    throw isUpstreamError(error) ? atField(error, info) : error;
  });
}

/**
 * What graphql-js would make of the failure at its field, made here without a stack trace (an
 * upstream failure is a report, not a bug): the executor's own wrapping captured one per failed
 * field, a measurable share of the error path's CPU.
 */
function atField(error: Error, info: GraphQLResolveInfo): GraphQLError {
  return graphQLErrorWithoutStack(error.message, { nodes: info.fieldNodes, path: responsePathAsArray(info.path), originalError: error });
}
