// The tool version for --version and flash reports, read from the package.json next to the
// running entry (bin/dfu-desk.js, the dist bundle or the TS source all sit two levels below it).
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';

export function findToolVersion(entryPath: string | undefined): string {
  if (!entryPath) return 'unknown';
  let directory: string;
  try {
    directory = dirname(realpathSync(entryPath));
  } catch {
    return 'unknown';
  }
  for (let depth = 0; depth < 5; depth++) {
    const candidate = join(directory, 'package.json');
    if (existsSync(candidate)) {
      try {
        const parsed = JSON.parse(readFileSync(candidate, 'utf8')) as { name?: unknown; version?: unknown };
        if (parsed.name === 'dfu-desk' && typeof parsed.version === 'string') return parsed.version;
      } catch {
        // A broken package.json further down the tree is not ours; keep looking upwards.
      }
    }
    const parent = dirname(directory);
    if (parent === directory) break;
    directory = parent;
  }
  return 'unknown';
}
