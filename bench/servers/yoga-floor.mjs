/**
 * For the latency probe: graphql-yoga with its default settings, whose one resolver answers
 * `single` with one GET over a kept-alive undici pool. No checks, no logging, no error mapping:
 * what graphql-yoga itself adds to the hop, the floor for any gateway built on it.
 * Env: UPSTREAM_URL.
 */
import { fetchProject } from './pooled-project.mjs';
import { serveYoga } from './serve-yoga.mjs';

const resolvers = {
  Query: {
    project: (_root, { id }, context) => fetchProject(id, context.authorization),
  },
};

serveYoga(resolvers);
