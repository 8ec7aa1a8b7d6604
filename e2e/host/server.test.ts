// The browser host's guard, from outside, with raw requests a hostile local page or a DNS-rebinding
// attacker could make (a browser adds Origin and Sec-Fetch-Site itself; these set them by hand).
// The hostile page in a real browser is e2e/specs/hostGuard.spec.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request as httpRequest } from 'node:http';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { WebSocket } from 'ws';
import { startHost, type RunningHost } from './server.js';

const PAGE = `<!doctype html><html><head><meta http-equiv="Content-Security-Policy" content="connect-src 'self'"></head><body></body></html>`;

let host: RunningHost;
let directory: string;

beforeAll(async () => {
  directory = await mkdtemp(path.join(tmpdir(), 'dfu-desk-host-test-'));
  await writeFile(path.join(directory, 'index.html'), PAGE);
  host = await startHost({ rendererDirectory: directory, workDirectory: directory });
});

afterAll(async () => {
  await host.close();
  await rm(directory, { recursive: true, force: true });
});

interface Answer {
  readonly status: number;
  readonly body: string;
  readonly headers: Record<string, string | string[] | undefined>;
}

function get(headers: Record<string, string>, options: { path?: string; method?: string; address?: string } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const call = httpRequest({ host: options.address ?? '127.0.0.1', port: host.port, path: options.path ?? '/', method: options.method ?? 'GET', headers }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body, headers: response.headers }));
    });
    call.on('error', reject);
    call.end();
  });
}

const own = () => ({ host: `127.0.0.1:${host.port}` });

function keyOf(page: string): string {
  const key = /<meta name="dfu-desk-host-key" content="([0-9a-f]{32})">/.exec(page)?.[1];
  if (!key) throw new Error('the page carries no key');
  return key;
}

/** Opens the socket; resolves true when accepted, false when refused. */
function socketOpens(key: string, headers: Record<string, string>): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new WebSocket(`ws://127.0.0.1:${host.port}/__host/ws?key=${key}`, { headers });
    socket.on('open', () => {
      socket.close();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
}

describe('browser host guard', () => {
  it('serves the page with a per-launch key to 127.0.0.1 and localhost, and only there', async () => {
    const page = await get(own());
    expect(page.status).toBe(200);
    expect(keyOf(page.body)).toMatch(/^[0-9a-f]{32}$/);
    // The CSP lets the page reach its own host's socket, under whichever name it was opened.
    expect(page.body).toContain(`connect-src 'self' ws://127.0.0.1:${host.port}`);
    const local = await get({ host: `localhost:${host.port}` });
    expect(local.status).toBe(200);
    expect(local.body).toContain(`connect-src 'self' ws://localhost:${host.port}`);
    expect(page.headers['x-frame-options']).toBe('DENY');
    expect(page.headers['cross-origin-resource-policy']).toBe('same-origin');
  });

  it('refuses a forged Host (DNS rebinding), another origin, cross-site and same-site browser requests', async () => {
    for (const headers of [
      { host: `attacker.example:${host.port}` },
      { host: 'localhost:1' },
      { ...own(), origin: 'http://127.0.0.1:1' },
      { ...own(), origin: 'null' },
      { ...own(), 'sec-fetch-site': 'cross-site' },
      { ...own(), 'sec-fetch-site': 'same-site' },
    ]) {
      const answer = await get(headers);
      expect(answer.status, JSON.stringify(headers)).toBe(403);
      expect(answer.body).not.toContain('dfu-desk-host-key');
    }
  });

  it('has no test-control endpoint and accepts no writes', async () => {
    const before = await host.control('devices');
    expect((await get(own(), { path: '/__test/plug', method: 'POST' })).status).toBe(405);
    expect((await get(own(), { path: '/__test/plug' })).status).toBe(404);
    expect((await get(own(), { path: '/__test/next-open' })).status).toBe(404);
    expect(await host.control('devices')).toEqual(before);
  });

  it('opens the socket only with this launch key, a loopback Host and its own Origin', async () => {
    const key = keyOf((await get(own())).body);
    expect(await socketOpens(key, { origin: `http://127.0.0.1:${host.port}` })).toBe(true);
    expect(await socketOpens(key, { origin: `http://localhost:${host.port}`, host: `localhost:${host.port}` })).toBe(true);
    expect(await socketOpens('0'.repeat(32), { origin: `http://127.0.0.1:${host.port}` })).toBe(false);
    expect(await socketOpens('', { origin: `http://127.0.0.1:${host.port}` })).toBe(false);
    expect(await socketOpens(key, { origin: 'http://127.0.0.1:1' })).toBe(false);
    expect(await socketOpens(key, { origin: `http://attacker.example:${host.port}`, host: `attacker.example:${host.port}` })).toBe(false);
    // Node clients send no Origin unless told; the page always does, so none is refused.
    expect(await socketOpens(key, {})).toBe(false);
  });

  it('listens on loopback only', () => {
    expect(host.addresses).toContain('127.0.0.1');
    for (const address of host.addresses) expect(['127.0.0.1', '::1']).toContain(address);
  });
});
