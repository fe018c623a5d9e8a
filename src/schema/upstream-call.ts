/**
 * The one way resolvers reach an upstream: a service, a method, a path built from checked ids,
 * and a decoder. Failures are thrown as they are; `errors/` maps them to the contract.
 */
import type { ServiceName } from '../config.js';
import type { RequestOptions } from '../upstream/client.js';
import type { HttpMethod } from '../upstream/transport.js';
import type { UpstreamPath } from '../upstream/url.js';
import type { GatewayContext } from './builder.js';

export function callUpstream<T>(
  context: GatewayContext,
  service: ServiceName,
  method: HttpMethod,
  target: () => UpstreamPath,
  options: RequestOptions<T>,
): Promise<T> {
  return context.upstreams[service].request(method, target, context.call, options);
}
