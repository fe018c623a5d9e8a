/**
 * The query GraphiQL opens with: data from all four services, and fields that fail with
 * different codes next to fields that succeed (partial data).
 */
export const exampleQuery = `# Data from four REST services in one response. Fields that failed are null
# and explained in "errors" with one extensions.code, whatever the upstream spoke.
query Example {
  projects {
    id
    name
    owner { name }        # p-3's owner is missing: NOT_FOUND (directory)
    workspace { name plan } # p-4's workspace is not yours: FORBIDDEN (workspaces)
  }
  project(id: "p-5") {
    name
    sessions { title }    # the sessions call fails upstream: UPSTREAM_ERROR (projects)
  }
  context(id: "c-1") {
    name
    document(id: "d-3") { status error } # a failed document is data, not an error
    knowledge(query: "a") { text }
  }
}
`;
