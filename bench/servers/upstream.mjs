/**
 * The benchmark's REST upstream: the `projects` and `directory` routes of UPSTREAMS.md over
 * precomputed bodies, so that it costs as little as possible and every gateway pays the same.
 * 20 projects owned by 5 users, 5 sessions each; any other id (the scenarios use `p-404`)
 * answers 404 in the service's own dialect. It counts the calls it serves: `GET /__calls`
 * reads the count, `POST /__reset` zeroes it. `POST /__listen` opens one more port on the same
 * routes and answers its URL: each port counts its own calls, so a gateway given a port of its
 * own is never charged with the calls another gateway's cut-short requests are still making.
 * Prints `listening <url>` once ready.
 */
import { createServer } from 'node:http';
import { createHash } from 'node:crypto';

const projectCount = 20;
const ownerCount = 5;
const sessionsPerProject = 5;

const json = (value) => Buffer.from(JSON.stringify(value));
const etagOf = (buffer) => `"${createHash('sha1').update(buffer).digest('base64url')}"`;

const projects = Array.from({ length: projectCount }, (_, index) => ({
  id: `p-${index + 1}`,
  name: `Project ${index + 1}`,
  ownerId: `u-${(index % ownerCount) + 1}`,
  workspaceId: `w-${(index % 2) + 1}`,
  updatedAt: '2025-03-01T09:00:00.000Z',
}));
const projectBodies = new Map(projects.map((project) => {
  const body = json(project);
  return [project.id, { body, etag: etagOf(body) }];
}));
const sessionBodies = new Map(projects.map((project) => [project.id, json(
  Array.from({ length: sessionsPerProject }, (_, index) => ({
    id: `${project.id}-s-${index + 1}`,
    projectId: project.id,
    title: `Session ${index + 1} of ${project.name}`,
    createdAt: '2025-02-10T08:00:00.000Z',
  })),
)]));
const userBodies = new Map(Array.from({ length: ownerCount }, (_, index) => {
  const id = `u-${index + 1}`;
  return [id, json({ id, name: `User ${index + 1}` })];
}));
const projectList = json(projects);

const problem = (status, title, detail, instance) =>
  [status, 'application/problem+json', json({ type: `https://problems.example/${title.toLowerCase().replace(/ /g, '-')}`, title, status, detail, instance })];
const nested = (status, code, message) => [status, 'application/json', json({ error: { code, message } })];

function route(method, path, headers) {
  if (method !== 'GET') return problem(405, 'Method Not Allowed', `${method} is not served here`, path);
  const parts = path.split('/');
  // ['', 'api', 'v1', 'projects' | 'users', id?, 'sessions'?]
  if (parts[1] !== 'api' || parts[2] !== 'v1') return problem(404, 'Not Found', 'No such route', path);
  const id = parts[4] === undefined ? undefined : decodeURIComponent(parts[4]);
  if (parts[3] === 'projects') {
    if (parts.length === 4) return [200, 'application/json', projectList];
    const project = projectBodies.get(id);
    if (!project) return problem(404, 'Not Found', `Project ${id} not found`, path);
    if (parts.length === 5) {
      if (headers['if-none-match'] === project.etag) return [304, undefined, undefined, project.etag];
      return [200, 'application/json', project.body, project.etag];
    }
    if (parts.length === 6 && parts[5] === 'sessions') return [200, 'application/json', sessionBodies.get(id)];
  }
  if (parts[3] === 'users' && parts.length === 5) {
    const user = userBodies.get(id);
    return user ? [200, 'application/json', user] : nested(404, 'not_found', `User ${id} not found`);
  }
  return problem(404, 'Not Found', 'No such route', path);
}

/** A port of its own, with its own count of calls. */
function listen() {
  let calls = 0;
  const server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    if (path === '/__calls') return void response.end(String(calls));
    if (path === '/__reset') {
      calls = 0;
      return void response.end('0');
    }
    if (path === '/__listen') {
      listen().then((url) => response.end(url), (error) => {
        response.statusCode = 500;
        response.end(String(error));
      });
      return;
    }
    calls++;
    request.resume();
    const headers = request.headers;
    const [status, type, body, etag] = /^Bearer \S+$/.test(headers.authorization ?? '')
      ? route(request.method, path, headers)
      : problem(401, 'Unauthorized', 'Missing or invalid API key', path);
    const out = {};
    if (type) out['content-type'] = type;
    if (etag) out.etag = etag;
    if (body) out['content-length'] = body.length;
    response.writeHead(status, out);
    response.end(body);
  });
  server.keepAliveTimeout = 60_000;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${server.address().port}`));
  });
}

listen().then((url) => process.stdout.write(`listening ${url}\n`));
process.on('SIGTERM', () => process.exit(0));
