/**
 * The gateway's GraphQL schema, built code-first: importing each type file registers its types
 * and root fields on the builder.
 */
import type { GraphQLSchema } from 'graphql';
import { builder } from './builder.js';
import './user.js';
import './workspace.js';
import './project.js';
import './knowledge.js';

let schema: GraphQLSchema | undefined;

/** The schema (built once). */
export function gatewaySchema(): GraphQLSchema {
  schema ??= builder.toSchema({ sortSchema: false });
  return schema;
}
