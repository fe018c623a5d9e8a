/**
 * Apollo Server with `@apollo/datasource-rest`: the usual way teams put GraphQL over REST.
 * One data source per service per request (its GET dedupe lives as long as the request).
 * Env: UPSTREAM_URL (projects and directory base URL).
 */
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { RESTDataSource } from '@apollo/datasource-rest';
import { typeDefs } from './schema-subset.mjs';

const base = `${process.env.UPSTREAM_URL}/`;

class UpstreamAPI extends RESTDataSource {
  baseURL = base;
  constructor(authorization) {
    super();
    this.authorization = authorization;
  }
  willSendRequest(_path, request) {
    request.headers['authorization'] = this.authorization;
  }
  project(id) {
    return this.get(`api/v1/projects/${encodeURIComponent(id)}`);
  }
  projects() {
    return this.get('api/v1/projects');
  }
  sessions(id) {
    return this.get(`api/v1/projects/${encodeURIComponent(id)}/sessions`);
  }
  user(id) {
    return this.get(`api/v1/users/${encodeURIComponent(id)}`);
  }
}

const resolvers = {
  Query: {
    project: (_root, { id }, { api }) => api.project(id),
    projects: (_root, _args, { api }) => api.projects(),
  },
  Project: {
    owner: (project, _args, { api }) => api.user(project.ownerId),
    sessions: (project, _args, { api }) => api.sessions(project.id),
  },
};

const server = new ApolloServer({ typeDefs, resolvers });
const { url } = await startStandaloneServer(server, {
  listen: { port: 0, host: '127.0.0.1' },
  context: async ({ req }) => ({ api: new UpstreamAPI(req.headers.authorization ?? '') }),
});
process.stdout.write(`listening ${url.replace(/\/$/, '')}\n`);
process.on('SIGTERM', () => process.exit(0));
