/**
 * The `workspaces` demo service: flat `{ code, message, details }` errors with upper-case codes,
 * insights with a status workflow, and one workspace per synthesis failure.
 */
import { flatDialect } from './dialects.js';
import { bearerChallenge, failure, reply, stringMember, type DemoError, type DemoOutcome, type DemoRequest } from './http.js';
import { route } from './router.js';
import type { DemoServiceDefinition } from './serve.js';

/** The statuses an insight moves through. */
export type InsightStatus = 'suggested' | 'accepted' | 'rejected' | 'implemented';

/** An insight as the service returns it. */
export interface DemoInsight {
  id: string;
  title: string;
  status: InsightStatus;
}

/** Which statuses each status may move to. */
export const insightTransitions: Readonly<Record<InsightStatus, readonly InsightStatus[]>> = {
  suggested: ['accepted', 'rejected'],
  accepted: ['implemented', 'rejected'],
  rejected: ['suggested'],
  implemented: [],
};

const insightStatuses = Object.keys(insightTransitions) as InsightStatus[];

/** The workspace every caller is refused (403). */
export const lockedWorkspaceId = 'w-locked';

const workspaceFixtures: ReadonlyArray<{ id: string; name: string; plan: string }> = [
  { id: 'w-1', name: 'Core', plan: 'team' },
  { id: 'w-2', name: 'Labs', plan: 'trial' },
  { id: 'w-busy', name: 'Busy', plan: 'team' },
  { id: 'w-unready', name: 'Unready', plan: 'team' },
  { id: 'w-quota', name: 'Quota', plan: 'team' },
  { id: 'w-throttled', name: 'Throttled', plan: 'team' },
  { id: 'w-broken', name: 'Broken', plan: 'team' },
  { id: 'w-upstream', name: 'Upstream', plan: 'team' },
  { id: 'w-noagent', name: 'No agent', plan: 'team' },
];

const insightFixtures: Readonly<Record<string, readonly DemoInsight[]>> = {
  'w-1': [
    { id: 'i-1', title: 'Users abandon onboarding at the second step', status: 'suggested' },
    { id: 'i-2', title: 'Search is the most used feature', status: 'accepted' },
    { id: 'i-3', title: 'Dark mode drives retention', status: 'rejected' },
    { id: 'i-4', title: 'Export to CSV is expected on every table', status: 'implemented' },
  ],
  'w-2': [{ id: 'i-5', title: 'Trial users want a guided tour', status: 'suggested' }],
};

// Each fixture workspace answers a synthesis request with its own failure.
const synthesisFailures: Readonly<Record<string, DemoError>> = {
  'w-busy': failure(409, 'synthesis_in_progress', 'Synthesis is already running for this workspace. Please wait.'),
  'w-unready': failure(
    422,
    'sources_not_ready',
    '2 source(s) are not yet processed: User Interviews, Support Logs. Wait for processing to complete before synthesizing.',
  ),
  'w-quota': failure(402, 'usage_limit_exceeded', 'Synthesis limit reached for your plan.', {
    details: { usage_type: 'synthesis', current: 3, limit: 3, plan: 'trial', upgrade_required: true },
  }),
  'w-throttled': failure(429, 'rate_limit_exceeded', 'Rate limit exceeded. Retry after 12 seconds.', { details: { retry_after: 12 } }),
  'w-broken': failure(500, 'synthesis_failed', 'Synthesis failed: Agent timed out after 300 seconds.'),
  'w-upstream': failure(502, 'bad_gateway', 'Failed to create Stripe customer'),
  'w-noagent': failure(503, 'agent_not_configured', 'AI agent is not configured. Please check ANTHROPIC_API_KEY.'),
};

function isInsightStatus(value: string | undefined): value is InsightStatus {
  return value !== undefined && (insightStatuses as string[]).includes(value);
}

/** Creates a fresh `workspaces` service: insight statuses and synthesis ids start over. */
export function createWorkspacesService(): DemoServiceDefinition {
  const workspaces = new Map(workspaceFixtures.map((workspace) => [workspace.id, workspace]));
  const insights = new Map(workspaceFixtures.map((workspace) => [workspace.id, (insightFixtures[workspace.id] ?? []).map((insight) => ({ ...insight }))]));
  let nextSynthesis = 1;

  function access(workspaceId: string): DemoError | undefined {
    if (workspaceId === lockedWorkspaceId) return failure(403, 'forbidden', 'You do not have access to this workspace');
    return workspaces.has(workspaceId) ? undefined : failure(404, 'not_found', `Workspace ${workspaceId} not found`);
  }

  function getWorkspace(request: DemoRequest): DemoOutcome {
    const id = request.params.workspaceId ?? '';
    return access(id) ?? reply(200, workspaces.get(id));
  }

  function listInsights(request: DemoRequest): DemoOutcome {
    const id = request.params.workspaceId ?? '';
    return access(id) ?? reply(200, insights.get(id) ?? []);
  }

  function transitionInsight(request: DemoRequest): DemoOutcome {
    const workspaceId = request.params.workspaceId ?? '';
    const denied = access(workspaceId);
    if (denied) return denied;
    const insightId = request.params.insightId ?? '';
    const insight = insights.get(workspaceId)?.find((candidate) => candidate.id === insightId);
    if (!insight) return failure(404, 'not_found', `Insight ${insightId} not found`);
    const status = stringMember(request.body, 'status');
    if (!isInsightStatus(status)) {
      return failure(400, 'validation_error', `status must be one of: ${insightStatuses.join(', ')}`, {
        details: { field: 'status', allowed: insightStatuses },
      });
    }
    const valid = insightTransitions[insight.status];
    if (!valid.includes(status)) {
      return failure(
        400,
        'invalid_status_transition',
        `Cannot transition from '${insight.status}' to '${status}'. Valid transitions: ${valid.length > 0 ? valid.join(', ') : 'none'}.`,
        { details: { valid_transitions: valid } },
      );
    }
    insight.status = status;
    return reply(200, insight);
  }

  function startSynthesis(request: DemoRequest): DemoOutcome {
    const id = request.params.workspaceId ?? '';
    const denied = access(id) ?? synthesisFailures[id];
    if (denied) return denied;
    return reply(202, { id: `syn-${nextSynthesis++}`, status: 'running' });
  }

  return {
    dialect: flatDialect,
    unauthorized: failure(401, 'unauthorized', 'Invalid or expired authentication token.', bearerChallenge),
    readOnly: failure(403, 'forbidden', 'This API key may only read'),
    routes: [
      route('GET', '/api/v1/workspaces/:workspaceId', getWorkspace),
      route('GET', '/api/v1/workspaces/:workspaceId/insights', listInsights),
      route('PATCH', '/api/v1/workspaces/:workspaceId/insights/:insightId', transitionInsight),
      route('POST', '/api/v1/workspaces/:workspaceId/synthesis', startSynthesis),
    ],
  };
}
