/**
 * The one Pothos builder: it types the GraphQL context once for every schema file.
 */
import SchemaBuilder from '@pothos/core';
import type { FieldLimitName, ServiceName } from '../config.js';
import type { ContractErrorOptions } from '../errors/to-graphql-error.js';
import type { CallContext, UpstreamClient } from '../upstream/client.js';

/** What every resolver gets: the upstream clients and this request's call context. */
export interface GatewayContext {
  requestId: string;
  upstreams: Readonly<Record<ServiceName, UpstreamClient>>;
  call: CallContext;
  /** How failures are put on the error contract: the same options for every request. */
  contract: ContractErrorOptions;
  /** The caller's `Idempotency-Key` header, forwarded on writes. */
  idempotencyKey?: string;
  /** The `Idempotency-Key` header as sent, usable or not (`plugins/use-idempotency-key-scope`). */
  idempotencyKeySent?: string;
  /** Counts one call of a rate-limited field; throws `RATE_LIMITED` over its limit (set by `plugins/use-field-limits`). */
  limitField?: (name: FieldLimitName) => Promise<void>;
}

export const builder = new SchemaBuilder<{
  Context: GatewayContext;
  DefaultFieldNullability: false;
}>({ defaultFieldNullability: false });

builder.queryType({});
builder.mutationType({});
