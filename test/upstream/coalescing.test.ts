/**
 * The coalescer on its own: which calls are joined and which are sent, with sends that resolve
 * when the test says so. The integration test (`test/integration/coalescing.test.ts`) covers it
 * over real upstreams.
 */
import { describe, expect, it } from 'vitest';
import { createCoalescer, type CoalescedCall } from '../../src/upstream/coalescing.js';
import { UpstreamError, type UpstreamFailure } from '../../src/upstream/failure.js';

/** A send that counts itself and settles when told. */
function controlledSend<T>() {
  const sends: Array<{ resolve: (value: T) => void; reject: (error: unknown) => void }> = [];
  const send = () => new Promise<T>((resolve, reject) => sends.push({ resolve, reject }));
  return { send, sends };
}

let callsMade = 0;
/** A call of its own request (ids `r-1`, `r-2`, … in the order made). */
const callUntil = (deadlineAt: number, signal = new AbortController().signal): CoalescedCall => ({ signal, deadlineAt, requestId: `r-${++callsMade}` });
const later = () => Date.now() + 60_000;
const failure = (kind: UpstreamFailure['kind']) => new UpstreamError({ service: 'projects', method: 'GET', path: '/p', failure: { kind } as UpstreamFailure, attempts: 1 });

describe('createCoalescer', () => {
  it('joins a GET in flight under the same key, and sends one under another key', async () => {
    const coalescer = createCoalescer();
    const { send, sends } = controlledSend<string>();
    const deadline = later();
    const [firstCall, joinedCall, otherCall] = [callUntil(deadline), callUntil(deadline + 1), callUntil(deadline)];
    const first = coalescer.get('a', firstCall, send);
    const joined = coalescer.get('a', joinedCall, send);
    const other = coalescer.get('b', otherCall, send);
    expect(sends).toHaveLength(2);
    sends[0]!.resolve('A');
    sends[1]!.resolve('B');
    expect(await Promise.all([first, joined, other])).toEqual(['A', 'A', 'B']);
    // The joined call names the request whose call answered it; the others sent their own.
    expect([...(joinedCall.joinedRequestIds ?? [])]).toEqual([firstCall.requestId]);
    expect(firstCall.joinedRequestIds).toBeUndefined();
    expect(otherCall.joinedRequestIds).toBeUndefined();
  });

  it('keeps nothing once the answer is in: the next call is sent', async () => {
    const coalescer = createCoalescer();
    const { send, sends } = controlledSend<string>();
    const first = coalescer.get('a', callUntil(later()), send);
    sends[0]!.resolve('old');
    await first;
    const next = coalescer.get('a', callUntil(later()), send);
    expect(sends).toHaveLength(2);
    sends[1]!.resolve('new');
    expect(await next).toBe('new');
  });

  it('shares an upstream failure with every joined call', async () => {
    const coalescer = createCoalescer();
    const { send, sends } = controlledSend<string>();
    const deadline = later();
    const calls = [coalescer.get('a', callUntil(deadline), send), coalescer.get('a', callUntil(deadline), send)];
    const notFound = failure('response');
    sends[0]!.reject(notFound);
    for (const call of calls) await expect(call).rejects.toBe(notFound);
    expect(sends).toHaveLength(1);
  });

  it('does not join a GET sent before a write began, nor one sent while a write was in flight', async () => {
    const coalescer = createCoalescer();
    const { send, sends } = controlledSend<string>();
    const before = coalescer.get('a', callUntil(later()), send);
    let finishWrite!: () => void;
    const write = coalescer.write(() => new Promise<void>((resolve) => (finishWrite = resolve)));
    const during = coalescer.get('a', callUntil(later()), send);
    expect(sends).toHaveLength(2);
    finishWrite();
    await write;
    const after = coalescer.get('a', callUntil(later()), send);
    expect(sends).toHaveLength(3);
    // Once the write is over, GETs sent after it are joined again.
    const joined = coalescer.get('a', callUntil(later()), send);
    expect(sends).toHaveLength(3);
    sends.forEach((pending, index) => pending.resolve(`answer ${index}`));
    expect(await Promise.all([before, during, after, joined])).toEqual(['answer 0', 'answer 1', 'answer 2', 'answer 2']);
  });

  it('sends again for a joined call when the first caller left or ran out of time', async () => {
    for (const kind of ['aborted', 'deadline'] as const) {
      const coalescer = createCoalescer();
      const { send, sends } = controlledSend<string>();
      const first = coalescer.get('a', callUntil(later()), send);
      const joined = coalescer.get('a', callUntil(later()), send);
      sends[0]!.reject(failure(kind));
      await expect(first).rejects.toMatchObject({ failure: { kind } });
      await Promise.resolve();
      await Promise.resolve();
      expect(sends, kind).toHaveLength(2);
      sends[1]!.resolve('own');
      expect(await joined).toBe('own');
    }
  });

  it("never joins a call whose deadline comes after the joining caller's own", () => {
    const coalescer = createCoalescer();
    const { send, sends } = controlledSend<string>();
    void coalescer.get('a', callUntil(later() + 10_000), send);
    void coalescer.get('a', callUntil(later()), send);
    expect(sends).toHaveLength(2);
  });

  it('a joined caller that left meanwhile gets its own (aborted) call, not the shared answer', async () => {
    const coalescer = createCoalescer();
    const { send, sends } = controlledSend<string>();
    const leaving = new AbortController();
    const deadline = later();
    const first = coalescer.get('a', callUntil(deadline), send);
    const joined = coalescer.get('a', callUntil(deadline, leaving.signal), send);
    leaving.abort();
    sends[0]!.resolve('shared');
    expect(await first).toBe('shared');
    await Promise.resolve();
    expect(sends).toHaveLength(2);
    sends[1]!.reject(failure('aborted'));
    await expect(joined).rejects.toMatchObject({ failure: { kind: 'aborted' } });
  });
});
