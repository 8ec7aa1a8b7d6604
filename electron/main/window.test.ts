import { resolveAppFile } from './appProtocol.js';
import { APP_ENTRY_URL, APP_ORIGIN, buildWindowOptions, CONTENT_SECURITY_POLICY, securityHeaders } from './window.js';

function directives(policy: string): Map<string, string[]> {
  return new Map(
    policy.split(';').map((part) => {
      const [name, ...sources] = part.trim().split(/\s+/);
      return [name!, sources];
    }),
  );
}

describe('window options', () => {
  it('turns on every isolation the checklist asks for', () => {
    const options = buildWindowOptions({ preloadPath: '/app/dist/electron/preload.cjs', isDevelopment: false });
    expect(options.webPreferences).toMatchObject({
      preload: '/app/dist/electron/preload.cjs',
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      webviewTag: false,
      navigateOnDragDrop: false,
      disableBlinkFeatures: 'Auxclick',
      devTools: false,
    });
    expect(options.webPreferences).not.toHaveProperty('enableBlinkFeatures');
    expect(options.show).toBe(false);
  });

  it('allows devtools only in development', () => {
    expect(buildWindowOptions({ preloadPath: '/p.cjs', isDevelopment: true }).webPreferences?.devTools).toBe(true);
  });
});

describe('content security policy', () => {
  const policy = directives(CONTENT_SECURITY_POLICY);

  it('denies by default and lets only our own scripts run', () => {
    expect(policy.get('default-src')).toEqual(["'none'"]);
    expect(policy.get('script-src')).toEqual(["'self'"]);
    expect(policy.get('object-src')).toEqual(["'none'"]);
    expect(policy.get('base-uri')).toEqual(["'none'"]);
    expect(policy.get('frame-ancestors')).toEqual(["'none'"]);
  });

  it('has no eval, no inline code and no remote source anywhere', () => {
    for (const [name, sources] of policy) {
      for (const source of sources) {
        expect(source, name).not.toMatch(/unsafe-|https?:|wss?:|\*|blob:/);
      }
    }
  });

  it('is sent as a header with every app response', () => {
    expect(securityHeaders()['Content-Security-Policy']).toBe(CONTENT_SECURITY_POLICY);
  });
});

describe('app protocol', () => {
  const root = '/opt/dfu-desk/dist/renderer';

  it('serves the entry page and assets from the renderer folder', () => {
    expect(resolveAppFile(APP_ENTRY_URL, root)).toEqual({ filePath: `${root}/index.html`, contentType: 'text/html; charset=utf-8' });
    expect(resolveAppFile(`${APP_ORIGIN}/`, root)?.filePath).toBe(`${root}/index.html`);
    expect(resolveAppFile(`${APP_ORIGIN}/assets/index-abc.js?v=1`, root)).toEqual({
      filePath: `${root}/assets/index-abc.js`,
      contentType: 'text/javascript; charset=utf-8',
    });
  });

  it('keeps dot segments inside the renderer folder', () => {
    // The URL parser resolves these before we see them; what matters is where they land.
    expect(resolveAppFile(`${APP_ORIGIN}/../../../etc/passwd.js`, root)?.filePath).toBe(`${root}/etc/passwd.js`);
    expect(resolveAppFile(`${APP_ORIGIN}/%2e%2e/%2e%2e/secret.js`, root)?.filePath).toBe(`${root}/secret.js`);
  });

  it.each([
    ['another host', 'app://evil/index.html'],
    ['another scheme', 'file:///etc/passwd'],
    ['encoded slash', `${APP_ORIGIN}/..%2f..%2fsecret.js`],
    ['backslashes', `${APP_ORIGIN}/..%5csecret.js`],
    ['a NUL byte', `${APP_ORIGIN}/index.html%00.js`],
    ['an unknown file type', `${APP_ORIGIN}/payload.exe`],
    ['bad percent encoding', `${APP_ORIGIN}/%E0%A4%A.js`],
    ['not a URL', 'index.html'],
  ])('refuses %s', (_name, url) => {
    expect(resolveAppFile(url, root)).toBeUndefined();
  });
});
