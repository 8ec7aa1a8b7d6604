// Maps app://dfu-desk/<path> requests to files of the built renderer. Pure (node:path only) so the
// traversal rules are tested; index.ts registers it with protocol.handle.

import path from 'node:path';
import { APP_HOST, APP_SCHEME } from './window.js';

const contentTypes: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.map': 'application/json',
};

export interface AppFile {
  readonly filePath: string;
  readonly contentType: string;
}

/**
 * The file under `rootDir` that `url` names, or undefined for anything else: another scheme or
 * host, a path escaping the root (also when percent-encoded), or an unknown file type.
 */
export function resolveAppFile(url: string, rootDir: string): AppFile | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  if (parsed.protocol !== `${APP_SCHEME}:` || parsed.host !== APP_HOST) return undefined;
  let pathname: string;
  try {
    pathname = decodeURIComponent(parsed.pathname);
  } catch {
    return undefined;
  }
  if (pathname.includes('\0') || pathname.includes('\\')) return undefined;
  const relative = pathname === '/' || pathname === '' ? 'index.html' : pathname.replace(/^\/+/, '');
  const root = path.resolve(rootDir);
  const filePath = path.resolve(root, relative);
  if (!filePath.startsWith(root + path.sep)) return undefined;
  const contentType = contentTypes[path.extname(filePath).toLowerCase()];
  return contentType ? { filePath, contentType } : undefined;
}
