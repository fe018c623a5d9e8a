import type { GraphQLResolveInfo } from 'graphql';
import { path } from '../upstream/url.js';
import { builder, type GatewayContext } from './builder.js';
import { decoder, emailShape, userShape, type UserData } from './decode.js';
import { callUpstream, idFromAnswer } from './upstream-call.js';

const decodeUser = decoder(userShape);
const decodeEmail = decoder(emailShape);

/** A person in the `directory` service. */
export const User = builder.objectRef<UserData>('User').implement({
  fields: (t) => ({
    id: t.exposeID('id'),
    name: t.exposeString('name'),
    email: t.string({
      nullable: true,
      description: 'Needs the users:email scope.',
      resolve: async (user, _args, context, info) => {
        const id = idFromAnswer(context, info, 'directory', user.id);
        return (await callUpstream(context, info, 'directory', 'GET', () => path`/api/v1/users/${id}/email`, { decode: decodeEmail })).email;
      },
    }),
  }),
});

/** Loads one user; shared by `Query.user` and `Project.owner`. */
export function loadUser(context: GatewayContext, info: GraphQLResolveInfo, id: string): Promise<UserData> {
  return callUpstream(context, info, 'directory', 'GET', () => path`/api/v1/users/${id}`, { decode: decodeUser });
}

builder.queryField('user', (t) =>
  t.field({
    type: User,
    nullable: true,
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, args, context, info) => loadUser(context, info, String(args.id)),
  }),
);
