import { FileGrants, randomToken } from './fileGrants.js';
import { FILE_TOKEN_PATTERN } from '../../core/contract/validation.js';

const baseName = (path: string) => path.split('/').pop() ?? path;

describe('FileGrants', () => {
  it('hands out one random token per path and resolves only tokens it gave', () => {
    const grants = new FileGrants(baseName);
    const first = grants.grant('/fw/app.hex');
    expect(first).toEqual({ token: expect.stringMatching(FILE_TOKEN_PATTERN), path: '/fw/app.hex', fileName: 'app.hex' });
    expect(grants.grant('/fw/app.hex').token).toBe(first.token);
    expect(grants.grant('/fw/other.hex').token).not.toBe(first.token);
    expect(grants.pathOf(first.token)).toBe('/fw/app.hex');
    expect(() => grants.pathOf('0'.repeat(32))).toThrow(/not a file this window was given/);
  });

  it('forgets the least recently granted path beyond its limit', () => {
    let next = 0;
    const grants = new FileGrants(baseName, () => (next++).toString(16).padStart(32, '0'), 2);
    const a = grants.grant('/a');
    const b = grants.grant('/b');
    grants.grant('/a'); // used again: /b is now the oldest
    grants.grant('/c');
    expect(grants.pathOf(a.token)).toBe('/a');
    expect(() => grants.pathOf(b.token)).toThrow();
  });

  it('makes 128-bit tokens that do not repeat', () => {
    const tokens = new Set(Array.from({ length: 1000 }, randomToken));
    expect(tokens.size).toBe(1000);
    for (const token of tokens) expect(token).toMatch(FILE_TOKEN_PATTERN);
  });
});
