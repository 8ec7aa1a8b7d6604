// The browser test host (architecture §9): test infrastructure, not a product feature. It binds
// 127.0.0.1 only, serves the built renderer, and exposes the same Programmer service the Electron
// main process uses over one WebSocket, validating every call with core/apiValidation.ts exactly as
// electron/main/ipc.ts does (it reuses electron/main/ipcHandlers.ts). A separate /__test/ endpoint lets specs plug and unplug simulated
// devices and answer file dialogs.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { WebSocketServer, type WebSocket } from 'ws';
import { channelFor, methodNames, type ProgrammerEvent, type ProgrammerMethod, type Result } from '../../core/contract/programmer.js';
import { createIpcHandlers } from '../../electron/main/ipcHandlers.js';
import { decodeMessage, encodeMessage, type ClientMessage } from './wire.js';
import { createHostService, type HostService } from './service.js';

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
  readonly url: string;
  readonly service: HostService;
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

async function bundleShim(): Promise<string> {
  const result = await build({ entryPoints: [path.join(here, 'shim.ts')], bundle: true, format: 'iife', target: 'chrome120', write: false, logLevel: 'silent' });
  return result.outputFiles[0]!.text;
}

export async function startHost(options: HostOptions): Promise<RunningHost> {
  const rendererDirectory = path.resolve(options.rendererDirectory ?? path.join(repositoryRoot, 'dist/renderer'));
  await stat(path.join(rendererDirectory, 'index.html')).catch(() => {
    throw new Error(`${rendererDirectory}/index.html is missing: run "npm run build" first`);
  });
  const shim = await bundleShim();
  const service = await createHostService({ simulator: options.simulator, speed: options.speed ?? 1, workDirectory: options.workDirectory });
  const sockets = new Set<WebSocket>();
  let origin = '';

  const server = createServer((request, response) => {
    handleHttp(request, response).catch((error: unknown) => {
      response.writeHead(500, { 'content-type': 'text/plain' });
      response.end(error instanceof Error ? error.message : String(error));
    });
  });

  async function handleHttp(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', origin);
    if (url.pathname.startsWith('/__test/')) {
      const body = request.method === 'POST' ? await readBody(request) : {};
      const result = await service.control(url.pathname.slice('/__test/'.length), body);
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify(result ?? null));
      return;
    }
    if (url.pathname === '/__host/shim.js') {
      response.writeHead(200, { 'content-type': contentTypes['.js']!, 'cache-control': 'no-store' });
      response.end(shim);
      return;
    }
    const relative = url.pathname === '/' ? 'index.html' : decodeURIComponent(url.pathname.slice(1));
    const file = path.resolve(rendererDirectory, relative);
    if (!file.startsWith(rendererDirectory + path.sep)) {
      response.writeHead(403).end();
      return;
    }
    let body: Buffer | string;
    try {
      body = await readFile(file);
    } catch {
      response.writeHead(404).end();
      return;
    }
    if (relative === 'index.html') body = injectShim(body.toString('utf8'), origin);
    response.writeHead(200, { 'content-type': contentTypes[path.extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' });
    response.end(body);
  }

  const sockets_ = new WebSocketServer({ noServer: true, maxPayload: 80 * 1024 * 1024 });
  server.on('upgrade', (request, socket, head) => {
    // Only the page this host served may connect (a drive-by page on another origin may not).
    if (new URL(request.url ?? '/', origin).pathname !== '/__host/ws' || request.headers.origin !== origin) {
      socket.destroy();
      return;
    }
    sockets_.handleUpgrade(request, socket, head, (ws) => {
      sockets.add(ws);
      ws.on('close', () => sockets.delete(ws));
      ws.on('message', (data: Buffer) => void onMessage(ws, data.toString('utf8')));
    });
  });

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
  // The "sender" is a socket this host accepted after checking its Origin.
  const handlers = createIpcHandlers<WebSocket>(service.programmer, {
    isTrustedSender: (ws) => sockets.has(ws),
    onInternalError: (method, error) => process.stderr.write(`test host: ${method} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`),
  });

  async function invoke(ws: WebSocket, method: string, args: readonly unknown[]): Promise<Result<unknown>> {
    const handler = (methodNames as readonly string[]).includes(method) ? handlers.get(channelFor(method as ProgrammerMethod)) : undefined;
    if (!handler) return { ok: false, error: { kind: 'invalid-argument', argument: 'method', reason: `unknown method ${method}` } };
    return handler(ws, ...args);
  }

  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('test host: no TCP address');
  origin = `http://127.0.0.1:${address.port}`;
  return {
    url: `${origin}/`,
    service,
    async close() {
      unsubscribe();
      for (const ws of sockets) ws.terminate();
      sockets_.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await service.close();
    },
  };
}

/** The shim runs before the renderer; the page's CSP additionally allows this host's WebSocket. */
export function injectShim(html: string, origin: string): string {
  const socket = origin.replace(/^http/, 'ws');
  return html
    .replace(/<\/head>/i, '  <script src="./__host/shim.js"></script>\n  </head>')
    .replace(/connect-src 'self'/, `connect-src 'self' ${socket}`);
}

async function readBody(request: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  return text ? (JSON.parse(text) as Record<string, unknown>) : {};
}
