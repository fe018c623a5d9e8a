/**
 * The `directory` demo service: nested `{ error: { code, message, ... } }` errors with lower-case
 * codes, a scope-guarded email route and a per-key rate limit on organisation members.
 */
import { nestedDialect } from './dialects.js';
import { bearerChallenge, failure, reply, type DemoOutcome, type DemoRequest } from './http.js';
import { route } from './router.js';
import type { DemoServiceDefinition } from './serve.js';

/** How many organisation-members calls one key may make per window. */
export const membersRateLimit = 120;

/** The rate-limit window, in milliseconds. */
export const membersRateWindowMs = 60_000;

/** The scope the email route requires, which `demo-reader` lacks. */
export const emailScope = 'users:email';

const userFixtures: ReadonlyArray<{ id: string; name: string; email: string }> = [
  { id: 'u-1', name: 'Ada Lovelace', email: 'ada@example.com' },
  { id: 'u-2', name: 'Grace Hopper', email: 'grace@example.com' },
  { id: 'u-3', name: 'Alan Turing', email: 'alan@example.com' },
];

/** The user whose lookups fail with a database error that names an internal host. */
export const brokenUserId = 'u-broken';

const orgMembers: Readonly<Record<string, ReadonlyArray<{ id: string; name: string; role: string }>>> = {
  'o-1': [
    { id: 'u-1', name: 'Ada Lovelace', role: 'owner' },
    { id: 'u-2', name: 'Grace Hopper', role: 'admin' },
    { id: 'u-3', name: 'Alan Turing', role: 'member' },
  ],
};

/** The organisation every caller is refused (403). */
export const lockedOrgId = 'o-locked';

/** Creates a fresh `directory` service with its own rate-limit windows. */
export function createDirectoryService(now: () => number = Date.now): DemoServiceDefinition {
  const users = new Map(userFixtures.map((user) => [user.id, user]));
  const windows = new Map<string, { startedAt: number; count: number }>();

  function findUser(userId: string): { id: string; name: string; email: string } | DemoOutcome {
    // Deliberately leaky, as a careless service would be: the gateway must not pass this on.
    if (userId === brokenUserId) return failure(500, 'query_failed', 'relation users: SELECT failed at db-7.internal:5432');
    return users.get(userId) ?? failure(404, 'not_found', `User ${userId} not found`);
  }

  function getUser(request: DemoRequest): DemoOutcome {
    const user = findUser(request.params.userId ?? '');
    return 'kind' in user ? user : reply(200, { id: user.id, name: user.name });
  }

  function getEmail(request: DemoRequest): DemoOutcome {
    // The scope is checked before the lookup, so a reader cannot tell which users exist.
    if (request.role !== 'admin') {
      return failure(403, 'insufficient_scope', `This API key lacks the ${emailScope} scope`, { details: { requiredScope: emailScope } });
    }
    const user = findUser(request.params.userId ?? '');
    return 'kind' in user ? user : reply(200, { email: user.email });
  }

  function rateLimited(apiKey: string): DemoOutcome | undefined {
    const at = now();
    let window = windows.get(apiKey);
    if (!window || at - window.startedAt >= membersRateWindowMs) {
      window = { startedAt: at, count: 0 };
      windows.set(apiKey, window);
    }
    window.count += 1;
    if (window.count <= membersRateLimit) return undefined;
    const retryAfter = Math.max(1, Math.ceil((window.startedAt + membersRateWindowMs - at) / 1000));
    return failure(429, 'rate_limited', `Too many requests: at most ${membersRateLimit} a minute per key`, {
      headers: { 'retry-after': String(retryAfter) },
    });
  }

  function listMembers(request: DemoRequest): DemoOutcome {
    const limited = rateLimited(request.apiKey);
    if (limited) return limited;
    const orgId = request.params.orgId ?? '';
    if (orgId === lockedOrgId) return failure(403, 'forbidden', 'You are not a member of this organization');
    const members = Object.hasOwn(orgMembers, orgId) ? orgMembers[orgId] : undefined;
    return members ? reply(200, members) : failure(404, 'not_found', `Organization ${orgId} not found`);
  }

  return {
    dialect: nestedDialect,
    unauthorized: failure(401, 'invalid_api_key', 'API key missing, wrong, revoked or expired', bearerChallenge),
    readOnly: failure(403, 'insufficient_scope', 'This API key may only read'),
    internalCode: 'query_failed',
    routes: [
      route('GET', '/api/v1/users/:userId', getUser),
      route('GET', '/api/v1/users/:userId/email', getEmail),
      route('GET', '/api/v1/orgs/:orgId/members', listMembers),
    ],
  };
}
