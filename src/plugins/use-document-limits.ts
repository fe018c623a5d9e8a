/**
 * Limits on the GraphQL document itself, checked while parsing and validating, so a rejected
 * document never reaches a resolver (and no upstream is called): depth, aliases, directives,
 * tokens and cost, by graphql-armor. Its rejections carry no `extensions.code`; here they become
 * `VALIDATION_ERROR`, and name neither the limit nor the value found unless `exposeLimits`.
 * With introspection off, `__schema` and `__type` are refused too.
 */
import { EnvelopArmorPlugin } from '@escape.tech/graphql-armor';
import type { GraphQLArmorRejectCallback } from '@escape.tech/graphql-armor-types';
import { GraphQLError, NoSchemaIntrospectionCustomRule } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { EdgeConfig } from '../config.js';
import { statusOfCode } from '../errors/codes.js';

export type DocumentLimitsOptions = Pick<EdgeConfig, 'maxDepth' | 'maxAliases' | 'maxDirectives' | 'maxTokens' | 'maxCost' | 'exposeLimits' | 'introspection'>;

/** The message of each rejection when the limits are not exposed. */
export const limitMessages = {
  depth: 'The query is nested too deeply.',
  aliases: 'The query uses too many aliases.',
  directives: 'The query uses too many directives.',
  tokens: 'The document is too long.',
  cost: 'The query is too expensive.',
} as const;

// graphql-armor prefixes every message with `Syntax Error: `, which these are not.
const armorPrefix = /^Syntax Error: /;

const asValidationError = (error: GraphQLError): GraphQLError =>
  new GraphQLError(error.message.replace(armorPrefix, ''), {
    nodes: error.nodes,
    extensions: { code: 'VALIDATION_ERROR', status: statusOfCode.VALIDATION_ERROR },
  });

const reportAsValidationError: GraphQLArmorRejectCallback = (context, error) => {
  context?.reportError(asValidationError(error));
};

// The token limit runs while parsing, where there is no validation context to report to.
const throwAsValidationError: GraphQLArmorRejectCallback = (_context, error) => {
  throw asValidationError(error);
};

export function useDocumentLimits(options: DocumentLimitsOptions): Plugin {
  const exposeLimits = options.exposeLimits;
  // Validation-time checks report through the validation context instead of throwing, so they
  // arrive like any other validation error; the token limit runs while parsing and must throw.
  const reporting = { exposeLimits, onReject: [reportAsValidationError], propagateOnRejection: false };
  const armor = EnvelopArmorPlugin({
    blockFieldSuggestion: { enabled: false },
    maxDepth: { n: options.maxDepth, ignoreIntrospection: true, errorMessage: limitMessages.depth, ...reporting },
    maxAliases: { n: options.maxAliases, allowList: ['__typename'], errorMessage: limitMessages.aliases, ...reporting },
    maxDirectives: { n: options.maxDirectives, errorMessage: limitMessages.directives, ...reporting },
    costLimit: { maxCost: options.maxCost, ignoreIntrospection: true, errorMessage: limitMessages.cost, ...reporting },
    maxTokens: { n: options.maxTokens, exposeLimits, errorMessage: limitMessages.tokens, onReject: [throwAsValidationError] },
  });
  return {
    onPluginInit({ addPlugin }) {
      addPlugin(armor as Plugin);
    },
    onValidate({ addValidationRule }) {
      if (!options.introspection) addValidationRule(NoSchemaIntrospectionCustomRule);
    },
  };
}
