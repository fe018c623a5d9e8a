/**
 * Declares that a field carries its own per-caller rate limit: the resolver first asks the
 * context's `limitField` (added by `plugins/use-field-limits`), which throws when the caller is
 * over the field's limit; the limit's size comes from the configuration.
 */
import type { GraphQLResolveInfo } from 'graphql';
import type { FieldLimitName } from '../config.js';
import type { GatewayContext } from './builder.js';

export function rateLimited<Parent, Args, Result>(
  name: FieldLimitName,
  resolve: (parent: Parent, args: Args, context: GatewayContext, info: GraphQLResolveInfo) => Promise<Result>,
): (parent: Parent, args: Args, context: GatewayContext, info: GraphQLResolveInfo) => Promise<Result> {
  return async (parent, args, context, info) => {
    await context.limitField?.(name);
    return resolve(parent, args, context, info);
  };
}
