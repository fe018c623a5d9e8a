/**
 * The shapes the gateway relies on in upstream JSON (UPSTREAMS.md). A body that does not fit
 * becomes `BAD_GATEWAY` at the field, instead of a null in a non-null field further down.
 */
import { z } from 'zod';

const text = z.string();
const optionalText = z.string().nullish().transform((value) => value ?? null);

/** Makes a decoder for `upstream.request({ decode })` from a zod schema. */
export function decoder<T>(schema: z.ZodType<T>): (value: unknown) => T {
  return (value) => schema.parse(value);
}

export const projectShape = z.object({
  id: text,
  name: text,
  ownerId: optionalText,
  workspaceId: optionalText,
  updatedAt: optionalText,
});
export type ProjectData = z.infer<typeof projectShape>;

export const sessionShape = z.object({ id: text, title: text, createdAt: optionalText });
export type SessionData = z.infer<typeof sessionShape>;

export const userShape = z.object({ id: text, name: text });
export type UserData = z.infer<typeof userShape>;

// A user may have no address: `{ "email": null }` (or no member) is null, as `User.email` is nullable.
export const emailShape = z.object({ email: optionalText });

export const workspaceShape = z.object({ id: text, name: text, plan: optionalText });
export type WorkspaceData = z.infer<typeof workspaceShape>;

export const insightStatuses = ['suggested', 'accepted', 'rejected', 'implemented'] as const;
export const insightShape = z.object({ id: text, title: text, status: z.enum(insightStatuses) });
export type InsightData = z.infer<typeof insightShape>;

export const synthesisShape = z.object({ id: text, status: text });

export const contextShape = z.object({ id: text, name: text });
export type ContextData = z.infer<typeof contextShape>;

export const documentStatuses = ['processing', 'ready', 'failed'] as const;
export const documentShape = z.object({ id: text, status: z.enum(documentStatuses), error: optionalText });

export const factShape = z.object({ id: text, text });
