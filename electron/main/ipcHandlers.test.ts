import { channelFor, GRANT_FILE_CHANNEL, methodNames } from '../../core/contract/programmer.js';
import type { Programmer, ProgrammerMethod } from '../../core/contract/programmer.js';
import { DfuError } from '../../core/errors.js';
import { createIpcHandlers, isTrustedFrame, originOf } from './ipcHandlers.js';
import { APP_ENTRY_URL, APP_ORIGIN } from './window.js';

interface FakeEvent {
  readonly trusted: boolean;
}

/** A Programmer whose every method records its call and answers with its own name. */
function recordingProgrammer(): { programmer: Programmer; calls: { method: string; args: unknown[] }[] } {
  const calls: { method: string; args: unknown[] }[] = [];
  const programmer = Object.fromEntries(
    methodNames.map((method) => [
      method,
      (...args: unknown[]) => {
        calls.push({ method, args });
        return Promise.resolve(method);
      },
    ]),
  ) as unknown as Programmer;
  return { programmer, calls };
}

function setup(programmer: Programmer) {
  const internalErrors: { method: ProgrammerMethod; error: unknown }[] = [];
  const handlers = createIpcHandlers<FakeEvent>(programmer, {
    isTrustedSender: (event) => event.trusted,
    onInternalError: (method, error) => internalErrors.push({ method, error }),
  });
  const call = (method: ProgrammerMethod, ...args: unknown[]) => handlers.get(channelFor(method))!({ trusted: true }, ...args);
  return { handlers, internalErrors, call };
}

describe('createIpcHandlers', () => {
  it('registers exactly one handler per contract method, on its derived channel', () => {
    const { handlers } = setup(recordingProgrammer().programmer);
    expect([...handlers.keys()].sort()).toEqual(methodNames.map(channelFor).sort());
  });

  it('calls the service with validated arguments and wraps the value', async () => {
    const { programmer, calls } = recordingProgrammer();
    const { call } = setup(programmer);
    await expect(call('connect', 'sim:1')).resolves.toEqual({ ok: true, value: 'connect' });
    await expect(call('leave')).resolves.toEqual({ ok: true, value: 'leave' });
    expect(calls).toEqual([
      { method: 'connect', args: ['sim:1'] },
      { method: 'leave', args: [] },
    ]);
  });

  it('rejects foreign senders without calling the service', async () => {
    const { programmer, calls } = recordingProgrammer();
    const { handlers } = setup(programmer);
    const result = await handlers.get(channelFor('erase'))!({ trusted: false }, { kind: 'mass' });
    expect(result).toMatchObject({ ok: false, error: { kind: 'invalid-argument', argument: 'sender' } });
    expect(calls).toEqual([]);
  });

  it('rejects bad arguments with a typed error without calling the service', async () => {
    const { programmer, calls } = recordingProgrammer();
    const { call } = setup(programmer);
    await expect(call('readMemory', { alternate: 0, start: -4, length: 4 })).resolves.toMatchObject({
      ok: false,
      error: { kind: 'invalid-argument', argument: 'request.start' },
    });
    await expect(call('connect')).resolves.toMatchObject({ ok: false, error: { kind: 'invalid-argument' } });
    expect(calls).toEqual([]);
  });

  it('passes DfuError data through unchanged', async () => {
    const { programmer } = recordingProgrammer();
    programmer.verify = () => Promise.reject(new DfuError({ kind: 'busy', reason: 'program is running' }));
    const { call, internalErrors } = setup(programmer);
    await expect(call('verify')).resolves.toEqual({ ok: false, error: { kind: 'busy', reason: 'program is running' } });
    expect(internalErrors).toEqual([]);
  });

  it('reports anything else as internal and tells the logger', async () => {
    const { programmer } = recordingProgrammer();
    const bug = new TypeError('undefined is not a function');
    programmer.getSnapshot = () => Promise.reject(bug);
    const { call, internalErrors } = setup(programmer);
    await expect(call('getSnapshot')).resolves.toEqual({ ok: false, error: { kind: 'internal', message: 'undefined is not a function' } });
    expect(internalErrors).toEqual([{ method: 'getSnapshot', error: bug }]);
  });

  it('grants dropped files only where a grantFile is given (the Electron app), to our window, for absolute paths', async () => {
    const { programmer } = recordingProgrammer();
    expect(setup(programmer).handlers.has(GRANT_FILE_CHANNEL)).toBe(false);
    const granted: string[] = [];
    const handlers = createIpcHandlers<FakeEvent>(programmer, {
      isTrustedSender: (event) => event.trusted,
      onInternalError: () => undefined,
      grantFile: (path) => {
        granted.push(path);
        return { token: 'f'.repeat(32), path, fileName: 'blinky.hex' };
      },
    });
    const grant = handlers.get(GRANT_FILE_CHANNEL)!;
    await expect(grant({ trusted: true }, '/home/me/blinky.hex')).resolves.toEqual({ ok: true, value: { token: 'f'.repeat(32), path: '/home/me/blinky.hex', fileName: 'blinky.hex' } });
    await expect(grant({ trusted: true }, 'C:\\fw\\blinky.hex')).resolves.toMatchObject({ ok: true });
    await expect(grant({ trusted: false }, '/etc/passwd')).resolves.toMatchObject({ ok: false, error: { argument: 'sender' } });
    for (const bad of ['relative/blinky.hex', '', 'a\0b', 42, { path: '/x' }]) {
      await expect(grant({ trusted: true }, bad)).resolves.toMatchObject({ ok: false, error: { kind: 'invalid-argument', argument: 'path' } });
    }
    await expect(grant({ trusted: true }, '/a', '/b')).resolves.toMatchObject({ ok: false, error: { argument: 'arguments' } });
    expect(granted).toEqual(['/home/me/blinky.hex', 'C:\\fw\\blinky.hex']);
  });
});

describe('isTrustedFrame', () => {
  const main = { processId: 4, routingId: 1, url: APP_ENTRY_URL };

  it('accepts our own top frame showing our page', () => {
    expect(isTrustedFrame({ ...main }, main, APP_ORIGIN)).toBe(true);
  });

  it.each([
    ['no frame', null],
    ['another process', { ...main, processId: 5 }],
    ['a sub-frame', { ...main, routingId: 2 }],
    ['a remote page', { ...main, url: 'https://example.com/' }],
    ['a local file', { ...main, url: 'file:///tmp/evil.html' }],
    ['a look-alike host', { ...main, url: 'app://dfu-desk.evil/index.html' }],
    ['a broken URL', { ...main, url: 'not a url' }],
  ])('rejects %s', (_name, frame) => {
    expect(isTrustedFrame(frame, main, APP_ORIGIN)).toBe(false);
  });

  it('reads the origin of our non-special scheme', () => {
    expect(originOf(APP_ENTRY_URL)).toBe(APP_ORIGIN);
    expect(originOf('about:blank')).toBeUndefined();
  });
});
