// Version 2 of @whatwg-node/promise-helpers, plus the one export 2.0 dropped that graphql-yoga 5
// and @envelop/core 5 still import by name (an ES module that lacks it fails to link).
import { handleMaybePromise } from 'promise-helpers-v2';

export * from 'promise-helpers-v2';

/** As in 1.x: `handleMaybePromise` over a value already in hand. */
export function mapMaybePromise(input, onSuccess, onError) {
  return handleMaybePromise(() => input, onSuccess, onError);
}
