/**
 * The part of Conflux's schema the scenarios use, as SDL for the peer servers. Field
 * nullability matches Conflux: every field an upstream call fills may be null.
 */
export const typeDefs = /* GraphQL */ `
  type Query {
    project(id: ID!): Project
    projects: [Project!]
  }
  type Project {
    id: ID!
    name: String!
    updatedAt: String
    owner: User
    sessions: [Session!]
  }
  type User {
    id: ID!
    name: String!
  }
  type Session {
    id: ID!
    title: String!
    createdAt: String
  }
`;

/** Prints `listening <url>` for the harness once `server` listens on a free loopback port. */
export function listen(server) {
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1', () => {
    process.stdout.write(`listening http://127.0.0.1:${server.address().port}\n`);
  });
  process.on('SIGTERM', () => process.exit(0));
}
