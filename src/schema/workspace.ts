import type { GraphQLResolveInfo } from 'graphql';
import { z } from 'zod';
import { path } from '../upstream/url.js';
import { builder, type GatewayContext } from './builder.js';
import { decoder, insightShape, synthesisShape, workspaceShape, type InsightData, type WorkspaceData } from './decode.js';
import { rateLimited } from './rate-limited.js';
import { callUpstream, idFromAnswer } from './upstream-call.js';

const decodeWorkspace = decoder(workspaceShape);
const decodeInsights = decoder(z.array(insightShape));
const decodeInsight = decoder(insightShape);
const decodeSynthesis = decoder(synthesisShape);

export const InsightStatus = builder.enumType('InsightStatus', {
  values: {
    SUGGESTED: { value: 'suggested' },
    ACCEPTED: { value: 'accepted' },
    REJECTED: { value: 'rejected' },
    IMPLEMENTED: { value: 'implemented' },
  } as const,
});

export const Insight = builder.objectRef<InsightData>('Insight').implement({
  fields: (t) => ({
    id: t.exposeID('id'),
    title: t.exposeString('title'),
    status: t.field({ type: InsightStatus, resolve: (insight) => insight.status }),
  }),
});

export const Synthesis = builder.objectRef<z.infer<typeof synthesisShape>>('Synthesis').implement({
  fields: (t) => ({ id: t.exposeID('id'), status: t.exposeString('status') }),
});

/** A workspace in the `workspaces` service. */
export const Workspace = builder.objectRef<WorkspaceData>('Workspace').implement({
  fields: (t) => ({
    id: t.exposeID('id'),
    name: t.exposeString('name'),
    plan: t.exposeString('plan', { nullable: true }),
    insights: t.field({
      type: [Insight],
      nullable: true,
      resolve: (workspace, _args, context, info) => {
        const id = idFromAnswer(context, info, 'workspaces', workspace.id);
        return callUpstream(context, info, 'workspaces', 'GET', () => path`/api/v1/workspaces/${id}/insights`, { decode: decodeInsights });
      },
    }),
  }),
});

/** Loads one workspace; shared by `Query.workspace` and `Project.workspace`. */
export function loadWorkspace(context: GatewayContext, info: GraphQLResolveInfo, id: string): Promise<WorkspaceData> {
  return callUpstream(context, info, 'workspaces', 'GET', () => path`/api/v1/workspaces/${id}`, { decode: decodeWorkspace });
}

builder.queryField('workspace', (t) =>
  t.field({
    type: Workspace,
    nullable: true,
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, args, context, info) => loadWorkspace(context, info, String(args.id)),
  }),
);

builder.mutationFields((t) => ({
  transitionInsight: t.field({
    type: Insight,
    nullable: true,
    args: {
      workspaceId: t.arg.id({ required: true }),
      insightId: t.arg.id({ required: true }),
      status: t.arg({ type: InsightStatus, required: true }),
    },
    resolve: (_root, args, context, info) =>
      callUpstream(context, info, 'workspaces', 'PATCH', () => path`/api/v1/workspaces/${String(args.workspaceId)}/insights/${String(args.insightId)}`, {
        body: { status: args.status },
        idempotencyKey: context.idempotencyKey,
        decode: decodeInsight,
      }),
  }),
  startSynthesis: t.field({
    type: Synthesis,
    nullable: true,
    args: { workspaceId: t.arg.id({ required: true }) },
    resolve: rateLimited('startSynthesis', (_root, args: { workspaceId: string | number }, context, info) =>
      callUpstream(context, info, 'workspaces', 'POST', () => path`/api/v1/workspaces/${String(args.workspaceId)}/synthesis`, {
        body: {},
        idempotencyKey: context.idempotencyKey,
        decode: decodeSynthesis,
      }),
    ),
  }),
}));
