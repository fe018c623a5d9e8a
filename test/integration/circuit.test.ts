/**
 * The circuit breaker per upstream, on a real loopback service that dies and recovers: past the
 * threshold calls stop reaching it and fail at once, `/ready` and the logs say so, and after the
 * half-open wait one probe closes the circuit again.
 */
import { describe, expect, it } from 'vitest';
import { errorAt, expectStillServing, postLeavable } from '../support/gateway.js';
import { json, waitUntil } from '../support/http-server.js';
import { send } from '../support/raw-http.js';
import { useTestResources } from '../support/resources.js';

const use = useTestResources();

const query = '{ context(id: "c-1") { name } }';

describe('circuit breaker', () => {
  it('opens after the threshold, stops calling the dead upstream, and closes again after recovery', async () => {
    let healthy = false;
    const upstream = await use.server((request, response) => {
      if (healthy) json(response, 200, { id: 'c-1', name: 'Notes' });
      else json(response, 503, { status: 503, title: 'Down' });
    });
    const gateway = await use.gateway({ KNOWLEDGE_URL: upstream.url, CIRCUIT_FAILURE_THRESHOLD: '3', CIRCUIT_HALF_OPEN_AFTER_MS: '4000' });
    const calls = () => upstream.requests.filter((request) => request.url.startsWith('/api/')).length;

    // One GET's three failed attempts reach the threshold.
    const first = await gateway.graphql(query);
    expect(errorAt(first, ['context']).extensions).toMatchObject({ code: 'SERVICE_UNAVAILABLE', upstream: { status: 503 } });
    expect(calls()).toBe(3);
    expect(gateway.logger.entries).toContainEqual(expect.objectContaining({ level: 'warn', fields: expect.objectContaining({ service: 'knowledge', event: 'circuit_open' }) }));

    for (let i = 0; i < 3; i++) {
      const refused = await gateway.graphql('{ context(id: "c-1") { name } project(id: "p-1") { name } }');
      const error = errorAt(refused, ['context']);
      expect(error.extensions).toMatchObject({ code: 'SERVICE_UNAVAILABLE', status: 503, upstream: { service: 'knowledge' } });
      expect(error.extensions['retryAfter']).toBeGreaterThanOrEqual(1);
      expect(error.extensions['retryAfter']).toBeLessThanOrEqual(4);
      expect(refused.body.data!['project']).toEqual({ name: 'Atlas' });
    }
    expect(calls()).toBe(3);

    const ready = await fetch(`${gateway.url}/ready`);
    const report = (await ready.json()) as { ready: boolean; checks: Record<string, { ok: boolean; circuit: string; retryAfter?: number }> };
    expect(ready.status).toBe(503);
    expect(report.checks['knowledge']).toMatchObject({ ok: false, circuit: 'open' });
    expect(report.checks['knowledge']!.retryAfter).toBeGreaterThanOrEqual(1);
    expect(report.checks['projects']).toEqual({ ok: true, circuit: 'closed' });

    healthy = true;
    await waitUntil(() => gateway.gateway.clients.knowledge.circuit().state !== 'open', 'the circuit to allow a probe', 10_000);
    const before = calls();
    const recovered = await gateway.graphql(query);
    expect(recovered.body).toEqual({ data: { context: { name: 'Notes' } } });
    expect(calls()).toBe(before + 1);
    expect(gateway.gateway.clients.knowledge.circuit()).toEqual({ state: 'closed' });
    expect(gateway.logger.entries).toContainEqual(expect.objectContaining({ fields: expect.objectContaining({ service: 'knowledge', event: 'circuit_closed' }) }));
    expect((await fetch(`${gateway.url}/ready`)).status).toBe(200);
    await expectStillServing(gateway);
  });

  it('a failed probe opens the circuit again', async () => {
    const upstream = await use.server((_request, response) => json(response, 503, { status: 503 }));
    const gateway = await use.gateway({ KNOWLEDGE_URL: upstream.url, CIRCUIT_FAILURE_THRESHOLD: '3', CIRCUIT_HALF_OPEN_AFTER_MS: '1500' });
    await gateway.graphql(query);
    expect(upstream.requests).toHaveLength(3);
    await waitUntil(() => gateway.gateway.clients.knowledge.circuit().state !== 'open', 'the circuit to allow a probe');
    const probe = await gateway.graphql(query);
    expect(errorAt(probe, ['context']).extensions['code']).toBe('SERVICE_UNAVAILABLE');
    // The probe's failure opened it again: its retry found the circuit open and went nowhere.
    expect(upstream.requests).toHaveLength(4);
    expect(gateway.gateway.clients.knowledge.circuit().state).toBe('open');
  });

  it('an upstream silent until the request deadline, shorter than its timeout, opens the circuit', async () => {
    const upstream = await use.server(() => undefined);
    const gateway = await use.gateway({ KNOWLEDGE_URL: upstream.url, UPSTREAM_TIMEOUT_MS: '60000', REQUEST_DEADLINE_MS: '600', CIRCUIT_FAILURE_THRESHOLD: '2' });
    for (let i = 0; i < 2; i++) expect(errorAt(await gateway.graphql(query), ['context']).extensions['code']).toBe('GATEWAY_TIMEOUT');
    expect(upstream.requests).toHaveLength(2);
    expect(gateway.gateway.clients.knowledge.circuit().state).toBe('open');
    const refused = await gateway.graphql(query);
    expect(errorAt(refused, ['context']).extensions).toMatchObject({ code: 'SERVICE_UNAVAILABLE', upstream: { service: 'knowledge' } });
    expect(upstream.requests).toHaveLength(2);
  });

  it('a probe whose caller leaves before an answer opens the circuit again, never closes it', async () => {
    const upstream = await use.server(() => undefined);
    const gateway = await use.gateway({ KNOWLEDGE_URL: upstream.url, UPSTREAM_TIMEOUT_MS: '300', CIRCUIT_FAILURE_THRESHOLD: '1', CIRCUIT_HALF_OPEN_AFTER_MS: '500' });
    expect(errorAt(await gateway.graphql(query), ['context']).extensions['code']).toBe('GATEWAY_TIMEOUT');
    expect(gateway.gateway.clients.knowledge.circuit().state).toBe('open');
    await waitUntil(() => gateway.gateway.clients.knowledge.circuit().state !== 'open', 'the circuit to allow a probe');
    const calls = upstream.requests.length;
    const leaving = fetch(`${gateway.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer demo-admin' },
      body: JSON.stringify({ query }),
      signal: AbortSignal.timeout(100),
    });
    await expect(leaving).rejects.toThrow();
    await waitUntil(() => upstream.requests.length === calls + 1 && gateway.gateway.clients.knowledge.circuit().state !== 'half-open', 'the probe to end');
    expect(gateway.gateway.clients.knowledge.circuit().state).toBe('open');
    expect(gateway.logger.entries).not.toContainEqual(expect.objectContaining({ fields: expect.objectContaining({ event: 'circuit_closed' }) }));
  });

  it('a caller leaving a call sent before the circuit opened neither counts nor spoils the probe that closes it', async () => {
    let healthy = false;
    const upstream = await use.server((request, response) => {
      if (request.url.includes('c-slow')) return; // never answers
      if (!healthy) return json(response, 503, { status: 503 });
      setTimeout(() => json(response, 200, { id: 'c-1', name: 'Notes' }), 400);
    });
    const gateway = await use.gateway({ KNOWLEDGE_URL: upstream.url, UPSTREAM_TIMEOUT_MS: '60000', CIRCUIT_FAILURE_THRESHOLD: '1', CIRCUIT_HALF_OPEN_AFTER_MS: '500' });
    const circuit = () => gateway.gateway.clients.knowledge.circuit().state;
    const probeCalls = () => upstream.requests.filter((request) => request.url.includes('c-1')).length;
    const { leaving, reply: slow } = postLeavable(gateway.url, '{ context(id: "c-slow") { name } }');
    await waitUntil(() => upstream.requests.some((request) => request.url.includes('c-slow')), 'the slow call to be sent');
    expect(errorAt(await gateway.graphql(query), ['context']).extensions['code']).toBe('SERVICE_UNAVAILABLE');
    expect(circuit()).toBe('open');

    healthy = true;
    await waitUntil(() => circuit() !== 'open', 'the circuit to allow a probe');
    const probe = gateway.graphql(query);
    await waitUntil(() => probeCalls() === 2, 'the probe to be sent');
    leaving.abort(); // while the probe is out
    await slow;
    expect((await probe).body).toEqual({ data: { context: { name: 'Notes' } } });
    expect(circuit()).toBe('closed');
  });

  it('a failure that comes back while the circuit probes, from a call sent before it opened, neither reopens it nor spoils the probe', async () => {
    let healthy = false;
    let slowCalls = 0;
    const upstream = await use.server((request, response) => {
      if (request.url.includes('c-slow')) {
        // Its first answer, a 503, comes back while the circuit probes.
        if (++slowCalls === 1) return void setTimeout(() => json(response, 503, { status: 503 }), 1200);
        return json(response, 200, { id: 'c-slow', name: 'Slow' });
      }
      if (!healthy) return json(response, 503, { status: 503 });
      setTimeout(() => json(response, 200, { id: 'c-1', name: 'Notes' }), 900);
    });
    const gateway = await use.gateway({ KNOWLEDGE_URL: upstream.url, CIRCUIT_FAILURE_THRESHOLD: '1', CIRCUIT_HALF_OPEN_AFTER_MS: '500' });
    const circuit = () => gateway.gateway.clients.knowledge.circuit().state;
    const slow = gateway.graphql('{ context(id: "c-slow") { name } }');
    await waitUntil(() => slowCalls === 1, 'the slow call to be sent');
    expect(errorAt(await gateway.graphql(query), ['context']).extensions['code']).toBe('SERVICE_UNAVAILABLE');
    expect(circuit()).toBe('open');

    healthy = true;
    await waitUntil(() => circuit() !== 'open', 'the circuit to allow a probe');
    const probe = await gateway.graphql(query);
    expect(probe.body).toEqual({ data: { context: { name: 'Notes' } } });
    expect(circuit()).toBe('closed');
    await slow;
  });

  it('a call queued behind a probe answers by its own deadline, not when the probe ends', async () => {
    // The queued request arrives first (its 3 s deadline runs from then) and its body slowly: its
    // call comes 1.6 s in, behind the probe sent at 1.5 s, whose answer takes 2.5 s (at 4 s).
    let healthy = false;
    let probeAnsweredAt = 0;
    const upstream = await use.server((_request, response) => {
      if (!healthy) return json(response, 503, { status: 503 });
      setTimeout(() => {
        probeAnsweredAt = Date.now();
        json(response, 200, { id: 'c-1', name: 'Notes' });
      }, 2500);
    });
    const gateway = await use.gateway({ KNOWLEDGE_URL: upstream.url, CIRCUIT_FAILURE_THRESHOLD: '1', CIRCUIT_HALF_OPEN_AFTER_MS: '300', REQUEST_DEADLINE_MS: '3000' });
    const circuit = () => gateway.gateway.clients.knowledge.circuit().state;
    expect(errorAt(await gateway.graphql(query), ['context']).extensions['code']).toBe('SERVICE_UNAVAILABLE');
    healthy = true;
    await waitUntil(() => circuit() !== 'open', 'the circuit to allow a probe');

    let queuedAnsweredAt = 0;
    const queued = send(gateway.url, {
      headers: { 'content-type': 'application/json', authorization: 'Bearer demo-admin' },
      body: JSON.stringify({ query }),
      slowBody: { firstBytes: 5, restAfterMs: 1600 },
    }).then((reply) => {
      queuedAnsweredAt = Date.now();
      return reply.text;
    });
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const probe = gateway.graphql(query); // the probe
    const answer = JSON.parse(await queued) as { errors: Array<{ extensions: { code: string } }> };
    expect(answer.errors[0]!.extensions.code).toBe('GATEWAY_TIMEOUT');
    expect((await probe).body).toEqual({ data: { context: { name: 'Notes' } } });
    expect(queuedAnsweredAt).toBeLessThan(probeAnsweredAt);
  });

  it('a 4xx answer between failures ends their run: failures must be consecutive to open the circuit', async () => {
    // c-1 fails with 503 (three attempts per request), c-2 is answered 404: the service is up.
    const upstream = await use.server((request, response) => {
      if (request.url.includes('c-2')) json(response, 404, { status: 404, title: 'Not found' });
      else json(response, 503, { status: 503, title: 'Down' });
    });
    const gateway = await use.gateway({ KNOWLEDGE_URL: upstream.url, CIRCUIT_FAILURE_THRESHOLD: '5' });
    const failing = () => gateway.graphql('{ context(id: "c-1") { name } }');
    const missing = () => gateway.graphql('{ context(id: "c-2") { name } }');
    expect(errorAt(await failing(), ['context']).extensions['code']).toBe('SERVICE_UNAVAILABLE');
    expect(errorAt(await missing(), ['context']).extensions['code']).toBe('NOT_FOUND');
    expect(errorAt(await failing(), ['context']).extensions['code']).toBe('SERVICE_UNAVAILABLE');
    // Six failed attempts, but never more than three in a row: the circuit stays closed and the next call is sent.
    expect(gateway.gateway.clients.knowledge.circuit().state).toBe('closed');
    const before = upstream.requests.length;
    expect(errorAt(await missing(), ['context']).extensions['code']).toBe('NOT_FOUND');
    expect(upstream.requests.length).toBe(before + 1);
  });

  it('4xx answers never open the circuit', async () => {
    const upstream = await use.server((_request, response) => json(response, 404, { status: 404, title: 'Not found' }));
    const gateway = await use.gateway({ KNOWLEDGE_URL: upstream.url, CIRCUIT_FAILURE_THRESHOLD: '2' });
    for (let i = 0; i < 4; i++) expect(errorAt(await gateway.graphql(query), ['context']).extensions['code']).toBe('NOT_FOUND');
    expect(upstream.requests).toHaveLength(4);
    expect(gateway.gateway.clients.knowledge.circuit().state).toBe('closed');
  });

  it('a burst queued behind the connection cap is not the upstream timing out: every call answered, circuit closed', async () => {
    // 2 connections, 12 concurrent calls of 200 ms: the last wait about 1 s for a connection,
    // three times the upstream timeout. Counted as the upstream's timeouts, that opened the circuit.
    const upstream = await use.server((request, response) => void setTimeout(() => json(response, 200, { id: 'c-1', name: 'Notes' }), 200));
    const gateway = await use.gateway({ KNOWLEDGE_URL: upstream.url, UPSTREAM_CONNECTIONS: '2', UPSTREAM_TIMEOUT_MS: '300', CIRCUIT_FAILURE_THRESHOLD: '2' });
    const replies = await Promise.all(Array.from({ length: 12 }, (_, i) => gateway.graphql(`{ context(id: "c-${i}") { name } }`)));
    for (const reply of replies) expect(reply.body).toEqual({ data: { context: { name: 'Notes' } } });
    expect(gateway.gateway.clients.knowledge.circuit().state).toBe('closed');
    expect(upstream.connections()).toBe(2);
  });

  it('calls the deadline ends while they wait for a connection, or just sent, do not open the circuit', async () => {
    // One connection, calls of 700 ms, a 1 s deadline: the first is answered, the second is sent
    // at about 700 ms and ended 300 ms later (less than half the deadline), the rest never sent.
    const upstream = await use.server((request, response) => void setTimeout(() => json(response, 200, { id: 'c-1', name: 'Notes' }), 700));
    const gateway = await use.gateway({ KNOWLEDGE_URL: upstream.url, UPSTREAM_CONNECTIONS: '1', UPSTREAM_TIMEOUT_MS: '60000', REQUEST_DEADLINE_MS: '1000', CIRCUIT_FAILURE_THRESHOLD: '1' });
    const replies = await Promise.all(Array.from({ length: 4 }, (_, i) => gateway.graphql(`{ context(id: "c-${i}") { name } }`)));
    const codes = replies.map((reply) => reply.body.errors?.[0]?.extensions['code'] ?? 'data');
    expect(codes.filter((code) => code === 'data')).toHaveLength(1);
    expect(codes.filter((code) => code === 'GATEWAY_TIMEOUT')).toHaveLength(3);
    expect(gateway.gateway.clients.knowledge.circuit().state).toBe('closed');
  });
});
