// Finds out whether the virtual-USB harness can run here and builds its C host on demand.
// The harness needs Linux with umockdev (libumockdev + its LD_PRELOAD library), gcc and
// pkg-config; elsewhere (macOS, Windows, a bare Linux) the integration tests skip with the
// reason returned by harnessAvailability().
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
export const hostSource = join(here, 'host', 'vusb-host.c');
export const hostBinary = join(here, 'build', 'vusb-host');
/** The library umockdev-wrapper preloads; clients of the virtual bus run with it. */
export const preloadLibrary = 'libumockdev-preload.so.0';

export type Availability = { ok: true } | { ok: false; reason: string };

function runs(command: string, args: string[]): boolean {
  try {
    execFileSync(command, args, { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function preloadInstalled(): boolean {
  try {
    return execFileSync('ldconfig', ['-p'], { encoding: 'utf8' }).includes(preloadLibrary);
  } catch {
    // ldconfig is not on PATH for non-root users on some distributions.
    return ['/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib64', '/usr/lib'].some((dir) =>
      existsSync(join(dir, preloadLibrary)),
    );
  }
}

function isStale(): boolean {
  return !existsSync(hostBinary) || statSync(hostBinary).mtimeMs < statSync(hostSource).mtimeMs;
}

let cached: Availability | undefined;

export function harnessAvailability(): Availability {
  if (cached) return cached;
  cached = check();
  return cached;
}

function check(): Availability {
  if (process.platform !== 'linux') return { ok: false, reason: `virtual USB needs Linux with umockdev (this is ${process.platform})` };
  if (!preloadInstalled()) return { ok: false, reason: `umockdev is not installed (${preloadLibrary} not found; apt install umockdev)` };
  if (!isStale()) return { ok: true };
  if (!runs('pkg-config', ['--exists', 'umockdev-1.0', 'glib-2.0', 'gobject-2.0', 'gio-2.0']))
    return { ok: false, reason: 'pkg-config cannot find umockdev-1.0 (apt install libumockdev-dev pkg-config)' };
  if (!runs('gcc', ['--version'])) return { ok: false, reason: 'gcc is not installed' };
  try {
    buildHost();
  } catch (error) {
    return { ok: false, reason: `building the virtual USB host failed: ${(error as Error).message}` };
  }
  return { ok: true };
}

/** Compiles usb-harness/host/vusb-host.c into usb-harness/build/ when the binary is missing or older. */
export function buildHost(options: { force?: boolean } = {}): string {
  if (!options.force && !isStale()) return hostBinary;
  mkdirSync(dirname(hostBinary), { recursive: true });
  const flags = execFileSync('pkg-config', ['--cflags', '--libs', 'umockdev-1.0', 'glib-2.0', 'gobject-2.0', 'gio-2.0'], {
    encoding: 'utf8',
  })
    .trim()
    .split(/\s+/);
  execFileSync('gcc', ['-O2', '-Wall', '-Wextra', '-o', hostBinary, hostSource, ...flags], { stdio: ['ignore', 'ignore', 'pipe'] });
  return hostBinary;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const path = buildHost({ force: process.argv.includes('--force') });
  console.log(`built ${path}`);
}
