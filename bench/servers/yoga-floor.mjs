/**
 * For the latency probe: graphql-yoga with its default settings, whose one resolver answers
 * `single` with one GET over a kept-alive undici pool. No checks, no logging, no error mapping:
 * what graphql-yoga itself adds to the hop, the floor for any gateway built on it.
 * Env: UPSTREAM_URL.
 */
import { Pool } from 'undici';
import { serveYoga } from './serve-yoga.mjs';

const pool = new Pool(process.env.UPSTREAM_URL, { connections: 64 });

const resolvers = {
  Query: {
    project: async (_root, { id }, context) => {
      const answer = await pool.request({ method: 'GET', path: `/api/v1/projects/${encodeURIComponent(id)}`, headers: { authorization: context.authorization, accept: 'application/json' } });
      return answer.body.json();
    },
  },
};

serveYoga(resolvers);
