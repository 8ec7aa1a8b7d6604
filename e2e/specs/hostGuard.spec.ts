// A hostile page in a real Chromium against the browser host (e2e/host/server.ts): a page on
// another local origin, and a DNS-rebinding page whose name resolves to 127.0.0.1, try to read
// the UI, reach the WebSocket, load the shim, frame the UI and call the old test endpoints. None
// of it may plug a board, open a socket or see this launch's key. The UI itself works under both
// 127.0.0.1 and localhost.
import { createServer, type Server } from 'node:http';
import { chromium } from '@playwright/test';
import { CHROMIUM_ARGS, test, expect } from '../fixtures/app.js';

/** What the attacker's page does, in the page; each attempt reports what it got. */
async function attack(target: string): Promise<Record<string, string>> {
  const results: Record<string, string> = {};
  const settle = (milliseconds: number) => new Promise((resolve) => setTimeout(resolve, milliseconds));
  try {
    const response = await fetch(target);
    results.readPage = (await response.text()).includes('dfu-desk-host-key') ? 'read the key' : `read ${response.status}`;
  } catch {
    results.readPage = 'blocked';
  }
  try {
    await fetch(`${target}__test/plug`, { method: 'POST', mode: 'no-cors', body: '{"spec":"stm32f405"}' });
    results.plug = 'sent';
  } catch {
    results.plug = 'blocked';
  }
  const socketUrl = `${target.replace(/^http/, 'ws')}__host/ws`;
  for (const [name, url] of [
    ['socketWithoutKey', socketUrl],
    ['socketGuessedKey', `${socketUrl}?key=${'0'.repeat(32)}`],
  ] as const) {
    results[name] = await new Promise<string>((resolve) => {
      const socket = new WebSocket(url);
      socket.onopen = () => resolve('open');
      socket.onerror = () => resolve('refused');
    });
  }
  results.shim = await new Promise<string>((resolve) => {
    const script = document.createElement('script');
    script.src = `${target}__host/shim.js`;
    script.onload = () => resolve('loaded');
    script.onerror = () => resolve('blocked');
    document.head.append(script);
  });
  results.bridge = typeof (window as { programmer?: unknown }).programmer;
  const frame = document.createElement('iframe');
  frame.src = target;
  document.body.append(frame);
  await settle(1500);
  return results;
}

const HOSTILE_PAGE = '<!doctype html><html><head><title>cat pictures</title></head><body></body></html>';

function serveHostilePage(): Promise<{ server: Server; port: number }> {
  const server = createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'text/html' });
    response.end(HOSTILE_PAGE);
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as { port: number }).port })),
  );
}

test.describe('browser host guard', () => {
  test('a page on another local origin cannot drive the host', async ({ app, browser }) => {
    test.skip(!app.host, 'attacks the browser host, which the Electron target does not use');
    const host = app.host!;
    await expect(app.page.getByRole('button', { name: /STM32.*BOOTLOADER/ }).first()).toBeVisible();
    const devicesBefore = await host.control('devices');
    const socketsBefore = host.acceptedSockets;
    const { server, port } = await serveHostilePage();
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      await page.goto(`http://127.0.0.1:${port}/`);
      const results = await page.evaluate(attack, host.url);
      expect(results).toEqual({
        readPage: 'blocked',
        plug: 'blocked', // the response's Cross-Origin-Resource-Policy; the host refused the request anyway (403)
        socketWithoutKey: 'refused',
        socketGuessedKey: 'refused',
        shim: 'blocked',
        bridge: 'undefined',
      });
      // The framed UI did not load: it would have opened a socket of its own.
      expect(host.acceptedSockets).toBe(socketsBefore);
      expect(await host.control('devices')).toEqual(devicesBefore);
    } finally {
      await context.close();
      server.close();
    }
  });

  test('a DNS-rebinding page (its name now resolves to 127.0.0.1) gets nothing', async ({ app }) => {
    test.skip(!app.host, 'attacks the browser host, which the Electron target does not use');
    const host = app.host!;
    const socketsBefore = host.acceptedSockets;
    // Chromium's resolver maps the attacker's name to loopback: exactly the state after a rebind.
    const rebound = await chromium.launch({ executablePath: '/usr/bin/chromium', args: [...CHROMIUM_ARGS, '--host-resolver-rules=MAP rebind.attacker.test 127.0.0.1'] });
    try {
      const page = await rebound.newPage();
      const response = await page.goto(`http://rebind.attacker.test:${host.port}/`);
      expect(response?.status()).toBe(403);
      expect(await page.content()).not.toContain('dfu-desk-host-key');
      // Same origin as far as the browser knows; the host still refuses the Host name.
      const results = await page.evaluate(attack, `http://rebind.attacker.test:${host.port}/`);
      expect(results.readPage).toBe('read 403');
      expect(results.socketWithoutKey).toBe('refused');
      expect(results.bridge).toBe('undefined');
      expect(host.acceptedSockets).toBe(socketsBefore);
    } finally {
      await rebound.close();
    }
  });

  test('the UI works when opened as localhost too', async ({ app, browser }) => {
    test.skip(!app.host, 'opens the browser host under another name');
    const page = await browser.newPage();
    try {
      await page.goto(`http://localhost:${app.host!.port}/`);
      await expect(page.getByRole('button', { name: /STM32.*BOOTLOADER/ }).first()).toBeVisible();
    } finally {
      await page.close();
    }
  });
});
