import { ApolloClient, ApolloLink, HttpLink, InMemoryCache } from '@apollo/client';
import { createRetryLink, type RetryLinkOptions } from '../../src/client/index.js';

export interface TestApolloOptions {
  /** The retry link's options; `false` leaves the link out. @default false */
  retry?: RetryLinkOptions | false;
  /** `Authorization` value; `null` sends none. @default 'Bearer demo-admin' */
  authorization?: string | null;
}

/** A real Apollo Client over `HttpLink` and the global `fetch`, nothing cached between calls. */
export function createTestApolloClient(gatewayUrl: string, options: TestApolloOptions = {}): ApolloClient {
  const authorization = options.authorization === undefined ? 'Bearer demo-admin' : options.authorization;
  const http = new HttpLink({ uri: `${gatewayUrl}/graphql`, headers: authorization === null ? {} : { authorization } });
  const link = options.retry ? ApolloLink.from([createRetryLink(options.retry), http]) : http;
  return new ApolloClient({
    link,
    cache: new InMemoryCache(),
    defaultOptions: { query: { fetchPolicy: 'no-cache' }, mutate: { fetchPolicy: 'no-cache' } },
  });
}
