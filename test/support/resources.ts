import { afterEach } from 'vitest';
import { startTestGateway, type TestGateway } from './gateway.js';
import { startTestServer, type TestServer } from './http-server.js';

/** Starts gateways and loopback servers for a test file's tests, and closes them all after each test (newest first). */
export function useTestResources() {
  const open: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const close of open.splice(0).reverse()) await close();
  });
  return {
    /** `startTestGateway`, closed after the test. */
    async gateway(env: Record<string, string> = {}): Promise<TestGateway> {
      const gateway = await startTestGateway(env);
      open.push(() => gateway.stop(0));
      return gateway;
    },
    /** `startTestServer`, closed after the test. */
    async server(handler: Parameters<typeof startTestServer>[0]): Promise<TestServer> {
      const server = await startTestServer(handler);
      open.push(() => server.close());
      return server;
    },
    /** Anything else to close after the test. */
    onClose(close: () => Promise<void>): void {
      open.push(close);
    },
  };
}
