import { z } from 'zod';
import { path } from '../upstream/url.js';
import { builder } from './builder.js';
import { decoder, projectShape, sessionShape, type ProjectData, type SessionData } from './decode.js';
import { callUpstream, idFromAnswer } from './upstream-call.js';
import { loadUser, User } from './user.js';
import { loadWorkspace, Workspace } from './workspace.js';

const decodeProjects = decoder(z.array(projectShape));
const decodeProject = decoder(projectShape);
const decodeSessions = decoder(z.array(sessionShape));
const decodeNothing = () => true;

export const Session = builder.objectRef<SessionData>('Session').implement({
  fields: (t) => ({
    id: t.exposeID('id'),
    title: t.exposeString('title'),
    createdAt: t.exposeString('createdAt', { nullable: true }),
  }),
});

/** A project in the `projects` service, joined to its owner and workspace. */
export const Project = builder.objectRef<ProjectData>('Project').implement({
  fields: (t) => ({
    id: t.exposeID('id'),
    name: t.exposeString('name'),
    updatedAt: t.exposeString('updatedAt', { nullable: true }),
    owner: t.field({
      type: User,
      nullable: true,
      // No owner (null or absent) is null; an empty id is not an id, and fails as BAD_GATEWAY.
      resolve: (project, _args, context, info) => (project.ownerId === null ? null : loadUser(context, info, idFromAnswer(context, info, 'projects', project.ownerId))),
    }),
    workspace: t.field({
      type: Workspace,
      nullable: true,
      resolve: (project, _args, context, info) => (project.workspaceId === null ? null : loadWorkspace(context, info, idFromAnswer(context, info, 'projects', project.workspaceId))),
    }),
    sessions: t.field({
      type: [Session],
      nullable: true,
      resolve: (project, _args, context, info) => {
        const id = idFromAnswer(context, info, 'projects', project.id);
        return callUpstream(context, info, 'projects', 'GET', () => path`/api/v1/projects/${id}/sessions`, { decode: decodeSessions });
      },
    }),
  }),
});

builder.queryFields((t) => ({
  projects: t.field({
    type: [Project],
    nullable: true,
    resolve: (_root, _args, context, info) => callUpstream(context, info, 'projects', 'GET', () => path`/api/v1/projects`, { decode: decodeProjects }),
  }),
  project: t.field({
    type: Project,
    nullable: true,
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, args, context, info) =>
      callUpstream(context, info, 'projects', 'GET', () => path`/api/v1/projects/${String(args.id)}`, { decode: decodeProject }),
  }),
}));

builder.mutationField('deleteSession', (t) =>
  t.boolean({
    nullable: true,
    args: { projectId: t.arg.id({ required: true }), sessionId: t.arg.id({ required: true }) },
    resolve: (_root, args, context, info) =>
      callUpstream(context, info, 'projects', 'DELETE', () => path`/api/v1/projects/${String(args.projectId)}/sessions/${String(args.sessionId)}`, {
        idempotencyKey: context.idempotencyKey,
        decode: decodeNothing,
        ignoreBody: true,
      }),
  }),
);
