// The macOS entitlements: each one kept has its reason right above it, and the set is the one
// docs/electron.md explains. A new exception cannot slip in without both.
import { readFileSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const plist = readFileSync(path.join(root, 'build/entitlements.mac.plist'), 'utf8');
const docs = readFileSync(path.join(root, 'docs/electron.md'), 'utf8');

/** Each <key> inside <dict> with the comment just before it. */
function entitlements(): { key: string; reason: string | undefined }[] {
  const dict = plist.slice(plist.indexOf('<dict>'));
  return [...dict.matchAll(/(?:<!--\s*reason:\s*([^]*?)-->\s*)?<key>([^<]+)<\/key>\s*<true\/>/g)].map((match) => ({ key: match[2]!, reason: match[1]?.trim() }));
}

describe('macOS entitlements', () => {
  it('are exactly the reviewed set, each with its reason', () => {
    const found = entitlements();
    expect(found.map((entry) => entry.key)).toEqual(['com.apple.security.cs.allow-jit']);
    for (const entry of found) expect(entry.reason, entry.key).toMatch(/\w{10,}/);
    expect(plist).not.toMatch(/<key>com\.apple\.security\.cs\.disable-library-validation<\/key>/);
  });

  it('are listed in docs/electron.md with the ones left out', () => {
    const section = docs.split('### macOS entitlements')[1]?.split('\n## ')[0] ?? '';
    for (const key of ['com.apple.security.cs.allow-jit', 'com.apple.security.cs.disable-library-validation', 'com.apple.security.device.usb']) {
      expect(section).toContain(key);
    }
  });
});
