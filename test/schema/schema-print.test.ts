import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { printedSchema } from '../../src/schema/print.js';

describe('schema/schema.graphql', () => {
  it('is what the Pothos builder prints (run `npm run schema:print` when this fails)', () => {
    const committed = readFileSync(new URL('../../schema/schema.graphql', import.meta.url), 'utf8');
    expect(committed).toBe(printedSchema());
  });

  it('keeps every upstream-backed field nullable', () => {
    const sdl = printedSchema();
    for (const field of ['projects: [Project!]\n', 'project(id: ID!): Project\n', 'owner: User\n', 'workspace: Workspace\n', 'sessions: [Session!]\n', 'email: String\n', 'insights: [Insight!]\n', 'startSynthesis(workspaceId: ID!): Synthesis\n', 'deleteSession(projectId: ID!, sessionId: ID!): Boolean\n']) {
      expect(sdl).toContain(field);
    }
  });
});
