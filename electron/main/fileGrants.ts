// Capability tokens for files the user chose. The window never names a file by its path: main
// grants a token when the user picks a file in the open dialog, drops one (the preload derives the
// path from the File object, electron/preload/index.ts), or when a path is in the recent files
// (which only main adds to). Opening a file means presenting its token. A page that was taken over
// can therefore read only files the user chose, not /etc/passwd or ~/.ssh.

import type { FileGrant } from '../../core/contract/programmer.js';
import { DfuError } from '../../core/errors.js';

/** How many grants are kept; the oldest unused one goes first. Recent files are re-granted on each snapshot. */
const MAX_GRANTS = 64;

export type TokenSource = () => string;

/** 128 random bits as 32 hex digits (FILE_TOKEN_PATTERN). */
export const randomToken: TokenSource = () => {
  const bytes = new Uint8Array(16);
  globalThis.crypto.getRandomValues(bytes);
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');
};

export class FileGrants {
  /** path → token and token → path, in grant order (Map keeps insertion order). */
  private readonly byPath = new Map<string, string>();
  private readonly byToken = new Map<string, string>();

  constructor(
    private readonly baseName: (path: string) => string,
    private readonly newToken: TokenSource = randomToken,
    private readonly limit = MAX_GRANTS,
  ) {}

  /** The token for `path` (the same one while it is held), newest last. */
  grant(path: string): FileGrant {
    let token = this.byPath.get(path);
    if (token === undefined) {
      token = this.newToken();
      if (this.byToken.has(token)) throw new Error('file token collision');
    } else {
      this.byPath.delete(path);
    }
    this.byPath.set(path, token);
    this.byToken.set(token, path);
    while (this.byPath.size > this.limit) {
      const [oldestPath, oldestToken] = this.byPath.entries().next().value as [string, string];
      this.byPath.delete(oldestPath);
      this.byToken.delete(oldestToken);
    }
    return { token, path, fileName: this.baseName(path) };
  }

  /** The path behind `token`; a DfuError when main never granted it (or forgot it). */
  pathOf(token: string): string {
    const path = this.byToken.get(token);
    if (path === undefined) {
      throw new DfuError({ kind: 'invalid-argument', argument: 'source.token', reason: 'not a file this window was given; open the file again' });
    }
    return path;
  }
}
