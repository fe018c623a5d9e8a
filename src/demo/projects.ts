/**
 * The `projects` demo service: Problem Details errors (`application/problem+json`), a strong
 * `ETag` on single projects, and sessions that can be deleted.
 */
import { createHash } from 'node:crypto';
import { problemDialect } from './dialects.js';
import { bearerChallenge, failure, headerValue, internalFailure, reply, type DemoOutcome, type DemoRequest } from './http.js';
import { route } from './router.js';
import type { DemoServiceDefinition } from './serve.js';

/** A project as the service returns it. */
export interface DemoProject {
  id: string;
  name: string;
  ownerId: string;
  workspaceId: string;
  updatedAt: string;
}

/** A session of a project. */
export interface DemoSession {
  id: string;
  projectId: string;
  title: string;
  createdAt: string;
}

const projectFixtures: readonly DemoProject[] = [
  { id: 'p-1', name: 'Atlas', ownerId: 'u-1', workspaceId: 'w-1', updatedAt: '2025-03-01T09:00:00.000Z' },
  { id: 'p-2', name: 'Borealis', ownerId: 'u-2', workspaceId: 'w-2', updatedAt: '2025-03-02T10:30:00.000Z' },
  // Its owner is absent from `directory`, so the gateway shows a NOT_FOUND owner.
  { id: 'p-3', name: 'Cygnus', ownerId: 'u-9', workspaceId: 'w-1', updatedAt: '2025-03-03T11:15:00.000Z' },
  // Its workspace is one the caller may not see.
  { id: 'p-4', name: 'Draco', ownerId: 'u-1', workspaceId: 'w-locked', updatedAt: '2025-03-04T12:45:00.000Z' },
  // Its sessions call fails with 500.
  { id: 'p-5', name: 'Eridanus', ownerId: 'u-2', workspaceId: 'w-2', updatedAt: '2025-03-05T14:00:00.000Z' },
];

const sessionTitles: Readonly<Record<string, readonly string[]>> = {
  'p-1': ['Kickoff', 'Design review', 'Retrospective'],
  'p-2': ['Planning', 'Demo day'],
  'p-3': ['Discovery', 'Interviews', 'Synthesis'],
  'p-4': ['Audit', 'Wrap-up'],
  'p-5': ['Launch prep', 'Postmortem'],
};

/** The project that no longer exists: asking for it answers 410. */
export const archivedProjectId = 'p-archived';

/** The project whose sessions call always fails with 500. */
export const failingSessionsProjectId = 'p-5';

function initialSessions(): Map<string, DemoSession[]> {
  const sessions = new Map<string, DemoSession[]>();
  let next = 1;
  for (const project of projectFixtures) {
    const titles = sessionTitles[project.id] ?? [];
    sessions.set(
      project.id,
      titles.map((title, index) => ({
        id: `s-${next++}`,
        projectId: project.id,
        title,
        createdAt: `2025-02-${String(10 + index).padStart(2, '0')}T08:00:00.000Z`,
      })),
    );
  }
  return sessions;
}

function etagFor(body: unknown): string {
  return `"${createHash('sha256').update(JSON.stringify(body)).digest('base64url').slice(0, 27)}"`;
}

// If-None-Match uses the weak comparison: `W/` prefixes are ignored, `*` matches anything.
function matchesEtag(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  return header.split(',').some((candidate) => {
    const tag = candidate.trim().replace(/^W\//, '');
    return tag === '*' || tag === etag;
  });
}

/** Creates a fresh `projects` service: its own sessions, so deletions do not leak between instances. */
export function createProjectsService(): DemoServiceDefinition {
  const projects = new Map(projectFixtures.map((project) => [project.id, project]));
  const sessions = initialSessions();

  function lookup(projectId: string): DemoProject | DemoOutcome {
    if (projectId === archivedProjectId) return failure(410, 'gone', `Project ${projectId} has been archived`);
    return projects.get(projectId) ?? failure(404, 'not_found', `Project ${projectId} not found`);
  }

  function getProject(request: DemoRequest): DemoOutcome {
    const project = lookup(request.params.projectId ?? '');
    if ('kind' in project) return project;
    const etag = etagFor(project);
    if (matchesEtag(headerValue(request.headers, 'if-none-match'), etag)) return reply(304, undefined, { etag });
    return reply(200, project, { etag });
  }

  function listSessions(request: DemoRequest): DemoOutcome {
    const project = lookup(request.params.projectId ?? '');
    if ('kind' in project) return project;
    if (project.id === failingSessionsProjectId) return internalFailure();
    return reply(200, sessions.get(project.id) ?? []);
  }

  function deleteSession(request: DemoRequest): DemoOutcome {
    const project = lookup(request.params.projectId ?? '');
    if ('kind' in project) return project;
    const sessionId = request.params.sessionId ?? '';
    const list = sessions.get(project.id) ?? [];
    const index = list.findIndex((session) => session.id === sessionId);
    if (index < 0) return failure(404, 'not_found', `Session ${sessionId} not found in project ${project.id}`);
    list.splice(index, 1);
    return reply(204);
  }

  return {
    dialect: problemDialect,
    unauthorized: failure(401, 'unauthorized', 'Missing, invalid or expired API key', bearerChallenge),
    readOnly: failure(403, 'forbidden', 'This API key may only read'),
    routes: [
      route('GET', '/api/v1/projects', () => reply(200, [...projects.values()])),
      route('GET', '/api/v1/projects/:projectId', getProject),
      route('GET', '/api/v1/projects/:projectId/sessions', listSessions),
      route('DELETE', '/api/v1/projects/:projectId/sessions/:sessionId', deleteSession),
    ],
  };
}
