// The browser test host (architecture §9): test infrastructure, not a product feature. It serves
// the built renderer and exposes the same Programmer service the Electron main process uses over
// one WebSocket, validating every call exactly as electron/main/ipc.ts does (it reuses
// electron/main/ipcHandlers.ts). Specs plug and unplug simulated devices and answer file dialogs
// through `control`, an in-process call: there is no HTTP endpoint for it.
//
// A page on another local origin must not drive it (docs/ui.md, "The browser host's guard"):
// - it listens on loopback only (127.0.0.1, and ::1 where the machine has it), and answers only
//   requests whose Host is 127.0.0.1, localhost or [::1] with its port (no DNS rebinding);
// - browsers' cross-site and same-site requests are refused (Sec-Fetch-Site), responses may not be
//   framed or embedded by another origin;
// - the WebSocket needs this launch's random key, which only the served page carries, and an
//   Origin of the host itself.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Duplex } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { WebSocketServer, type WebSocket } from 'ws';
import { channelFor, methodNames, type ProgrammerEvent, type ProgrammerMethod, type Result } from '../../core/contract/programmer.js';
import { createIpcHandlers } from '../../electron/main/ipcHandlers.js';
import { decodeMessage, encodeMessage, type ClientMessage } from './wire.js';
import { createHostService, type ControlAction, type HostService } from './service.js';

const here = path.dirname(fileURLToPath(import.meta.url));
export const repositoryRoot = path.resolve(here, '../..');

export interface HostOptions {
  /** 0 picks a free port. */
  readonly port?: number;
  /** "stm32l073[:scenario]", several separated by commas; none starts with an empty bus. */
  readonly simulator?: string;
  /** Simulated time runs this many times faster than wall-clock time. */
  readonly speed?: number;
  readonly rendererDirectory?: string;
  /** Where save dialogs put files, and where settings and logs live. */
  readonly workDirectory: string;
}

export interface RunningHost {
  /** The page to open: http://127.0.0.1:<port>/ (http://localhost:<port>/ works as well). */
  readonly url: string;
  readonly port: number;
  /** The addresses it listens on: 127.0.0.1, and ::1 where the machine has IPv6. */
  readonly addresses: readonly string[];
  readonly service: HostService;
  /** How many WebSocket connections it has accepted since it started (pages that reached the service). */
  readonly acceptedSockets: number;
  /** Test control: plug, unplug, answer the next open dialog, ... (in-process, no HTTP). */
  control(action: ControlAction, body?: Record<string, unknown>): Promise<unknown>;
  close(): Promise<void>;
}

const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

/** Sent with every response: no framing by another page, no embedding as a cross-origin resource. */
const guardHeaders = {
  'x-frame-options': 'DENY',
  'content-security-policy': "frame-ancestors 'none'",
  'cross-origin-resource-policy': 'same-origin',
  'x-content-type-options': 'nosniff',
  'cache-control': 'no-store',
};

async function bundleShim(): Promise<string> {
  const result = await build({ entryPoints: [path.join(here, 'shim.ts')], bundle: true, format: 'iife', target: 'chrome120', write: false, logLevel: 'silent' });
  return result.outputFiles[0]!.text;
}

/** The Host header values this host answers to. */
export function loopbackHosts(port: number): Set<string> {
  return new Set([`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`]);
}

/** Why a request is refused, or undefined when it may be answered. */
export function refusalOf(headers: IncomingMessage['headers'], hosts: ReadonlySet<string>): string | undefined {
  const host = headers.host?.toLowerCase();
  if (!host || !hosts.has(host)) return `unknown Host ${JSON.stringify(headers.host ?? '')}: this host answers only on loopback`;
  const origin = headers.origin;
  if (origin !== undefined && origin !== `http://${host}`) return `requests from ${origin} are not accepted`;
  // Set by browsers: "same-site" is another port on the same machine, "cross-site" another site.
  const site = headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') return `${site} requests are not accepted`;
  return undefined;
}

function sameSecret(given: string | null, secret: string): boolean {
  if (given === null || given.length !== secret.length) return false;
  return timingSafeEqual(Buffer.from(given), Buffer.from(secret));
}

export async function startHost(options: HostOptions): Promise<RunningHost> {
  const rendererDirectory = path.resolve(options.rendererDirectory ?? path.join(repositoryRoot, 'dist/renderer'));
  await stat(path.join(rendererDirectory, 'index.html')).catch(() => {
    throw new Error(`${rendererDirectory}/index.html is missing: run "npm run build" first`);
  });
  const shim = await bundleShim();
  const service = await createHostService({ simulator: options.simulator, speed: options.speed ?? 1, workDirectory: options.workDirectory });
  const sockets = new Set<WebSocket>();
  /** This launch's key: in the served page only, required to open the WebSocket. */
  const secret = randomBytes(16).toString('hex');
  let hosts = new Set<string>();
  let acceptedSockets = 0;

  const onRequest = (request: IncomingMessage, response: ServerResponse) => {
    handleHttp(request, response).catch((error: unknown) => {
      response.writeHead(500, { 'content-type': 'text/plain', ...guardHeaders });
      response.end(error instanceof Error ? error.message : String(error));
    });
  };

  async function handleHttp(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const refusal = refusalOf(request.headers, hosts);
    if (refusal !== undefined) {
      response.writeHead(403, { 'content-type': 'text/plain', ...guardHeaders });
      response.end(refusal);
      return;
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { allow: 'GET, HEAD', ...guardHeaders }).end();
      return;
    }
    const url = new URL(request.url ?? '/', `http://${request.headers.host}`);
    if (url.pathname === '/__host/shim.js') {
      response.writeHead(200, { 'content-type': contentTypes['.js']!, ...guardHeaders });
      response.end(shim);
      return;
    }
    const relative = url.pathname === '/' ? 'index.html' : decodeURIComponent(url.pathname.slice(1));
    const file = path.resolve(rendererDirectory, relative);
    if (!file.startsWith(rendererDirectory + path.sep)) {
      response.writeHead(403, guardHeaders).end();
      return;
    }
    let body: Buffer | string;
    try {
      body = await readFile(file);
    } catch {
      response.writeHead(404, guardHeaders).end();
      return;
    }
    if (relative === 'index.html') body = injectShim(body.toString('utf8'), `http://${request.headers.host}`, secret);
    response.writeHead(200, { 'content-type': contentTypes[path.extname(file)] ?? 'application/octet-stream', ...guardHeaders });
    response.end(body);
  }

  const webSockets = new WebSocketServer({ noServer: true, maxPayload: 80 * 1024 * 1024 });
  const onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    // Only the page this host served: loopback Host, its own Origin (required here), this launch's key.
    const url = new URL(request.url ?? '/', 'http://host.invalid');
    const isAccepted =
      refusalOf(request.headers, hosts) === undefined &&
      request.headers.origin !== undefined &&
      url.pathname === '/__host/ws' &&
      sameSecret(url.searchParams.get('key'), secret);
    if (!isAccepted) {
      socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\n\r\n');
      return;
    }
    webSockets.handleUpgrade(request, socket, head, (ws) => {
      acceptedSockets += 1;
      sockets.add(ws);
      ws.on('close', () => sockets.delete(ws));
      ws.on('message', (data: Buffer) => void onMessage(ws, data.toString('utf8')));
    });
  };

  const unsubscribe = service.onEvent((event: ProgrammerEvent) => {
    const text = encodeMessage({ event });
    for (const ws of sockets) ws.send(text);
  });

  async function onMessage(ws: WebSocket, text: string): Promise<void> {
    let message: ClientMessage;
    try {
      message = decodeMessage(text) as ClientMessage;
    } catch {
      return;
    }
    const result = await invoke(ws, String(message.method), Array.isArray(message.args) ? message.args : []);
    ws.send(encodeMessage({ id: message.id, result }));
  }

  // The same handlers electron/main/ipc.ts registers: argument validation, the call, Result wrapping.
  // The "sender" is a socket this host accepted. No grantFile: nothing here can send a path, so
  // dropped files arrive as bytes and the open dialog is the only way to name a file on disk.
  const handlers = createIpcHandlers<WebSocket>(service.programmer, {
    isTrustedSender: (ws) => sockets.has(ws),
    onInternalError: (method, error) => process.stderr.write(`test host: ${method} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`),
  });

  async function invoke(ws: WebSocket, method: string, args: readonly unknown[]): Promise<Result<unknown>> {
    const handler = (methodNames as readonly string[]).includes(method) ? handlers.get(channelFor(method as ProgrammerMethod)) : undefined;
    if (!handler) return { ok: false, error: { kind: 'invalid-argument', argument: 'method', reason: `unknown method ${method}` } };
    return handler(ws, ...args);
  }

  const servers: Server[] = [];
  const listen = (address: string, port: number) =>
    new Promise<Server>((resolve, reject) => {
      const server = createServer(onRequest);
      server.on('upgrade', onUpgrade);
      server.once('error', reject);
      server.listen(port, address, () => {
        server.off('error', reject);
        resolve(server);
      });
    });
  const first = await listen('127.0.0.1', options.port ?? 0);
  servers.push(first);
  const address = first.address();
  if (address === null || typeof address === 'string') throw new Error('test host: no TCP address');
  const port = address.port;
  hosts = loopbackHosts(port);
  // "localhost" may resolve to ::1 first; a machine without IPv6 still has 127.0.0.1.
  await listen('::1', port).then(
    (server) => servers.push(server),
    () => undefined,
  );
  return {
    url: `http://127.0.0.1:${port}/`,
    port,
    addresses: servers.map((server) => (server.address() as { address: string }).address),
    service,
    get acceptedSockets() {
      return acceptedSockets;
    },
    control: (action, body = {}) => service.control(action, body),
    async close() {
      unsubscribe();
      for (const ws of sockets) ws.terminate();
      webSockets.close();
      await Promise.all(servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
      await service.close();
    },
  };
}

/**
 * The shim runs before the renderer and finds this launch's key in a meta tag (a page on another
 * origin cannot read this HTML); the page's CSP additionally allows this host's WebSocket.
 */
export function injectShim(html: string, origin: string, secret: string): string {
  const socket = origin.replace(/^http/, 'ws');
  return html
    .replace(/<\/head>/i, `  <meta name="dfu-desk-host-key" content="${secret}">\n  <script src="./__host/shim.js"></script>\n  </head>`)
    .replace(/connect-src 'self'/, `connect-src 'self' ${socket}`);
}
