/**
 * graphql-yoga with its default settings over the scenarios' schema subset, for the yoga-based
 * peers. Its own module, so that the Apollo server's process never loads graphql-yoga.
 */
import { createServer } from 'node:http';
import { createSchema, createYoga } from 'graphql-yoga';
import { listen, typeDefs } from './schema-subset.mjs';

/**
 * Serves `resolvers` over `typeDefs` with graphql-yoga's default settings (no logging, landing
 * page or GraphiQL); each resolver gets the caller's `authorization` in its context.
 */
export function serveYoga(resolvers) {
  const yoga = createYoga({
    schema: createSchema({ typeDefs, resolvers }),
    logging: false,
    landingPage: false,
    graphiql: false,
    context: ({ request }) => ({ authorization: request.headers.get('authorization') ?? '' }),
  });
  listen(createServer(yoga));
}
