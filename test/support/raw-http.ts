import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';

export interface RawReply {
  status: number;
  headers: Headers;
  text: string;
}

export interface SendOptions {
  method?: string;
  /** Path and query. @default '/graphql' */
  path?: string;
  headers?: Record<string, string | string[]>;
  body?: string | Buffer;
  /** Send the body with chunked transfer encoding and no `Content-Length`. @default false */
  chunked?: boolean;
  /** Send the body's first `firstBytes` bytes at once and the rest `restAfterMs` later, under its `Content-Length`. @default all at once */
  slowBody?: { firstBytes: number; restAfterMs: number };
}

/**
 * One request through `node:http`, which (unlike `fetch`) sends any header the caller names —
 * `Connection`, `Cookie`, `Origin`, `Host` — and can stream a body without `Content-Length`.
 */
export function send(baseUrl: string, options: SendOptions = {}): Promise<RawReply> {
  const url = new URL(options.path ?? '/graphql', baseUrl);
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: options.method ?? 'POST', headers: options.headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: toHeaders(res.headers), text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    if (options.body !== undefined && options.slowBody) {
      const body = Buffer.from(options.body);
      const { firstBytes, restAfterMs } = options.slowBody;
      req.setHeader('content-length', body.byteLength);
      req.write(body.subarray(0, firstBytes));
      setTimeout(() => req.end(body.subarray(firstBytes)), restAfterMs);
    } else if (options.body !== undefined && options.chunked) {
      const body = Buffer.from(options.body);
      // Several writes, so the body really goes out in chunks.
      for (let offset = 0; offset < body.length; offset += 64 * 1024) req.write(body.subarray(offset, offset + 64 * 1024));
      req.end();
    } else {
      req.end(options.body);
    }
  });
}

/** Raw bytes over a socket, for requests no HTTP client would send (CR/LF in a header...). */
export function sendRaw(port: number, bytes: string): Promise<RawReply> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(bytes));
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const [head = '', ...rest] = raw.split('\r\n\r\n');
      const [statusLine = '', ...lines] = head.split('\r\n');
      const headers = new Headers();
      for (const line of lines) {
        const at = line.indexOf(':');
        if (at > 0) headers.append(line.slice(0, at).trim(), line.slice(at + 1).trim());
      }
      resolve({ status: Number(statusLine.split(' ')[1] ?? 0), headers, text: rest.join('\r\n\r\n') });
    });
    // Bounded: a server that never answers fails the test rather than hanging it.
    socket.setTimeout(10_000, () => socket.destroy());
  });
}

function toHeaders(incoming: Record<string, string | string[] | undefined>): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(incoming)) {
    for (const item of Array.isArray(value) ? value : value === undefined ? [] : [value]) headers.append(name, item);
  }
  return headers;
}
