// Runs the real dfu-desk (node bin/dfu-desk.js) in a child process for the CLI tests. The current
// source is bundled once per test worker with esbuild (as scripts/build.mjs does) and handed to
// bin/dfu-desk.js through DFU_DESK_CLI, so tests never run a stale dist/ build and each spawn costs
// about 0.1 s instead of tsx's 0.4 s.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const binPath = join(repoRoot, 'bin', 'dfu-desk.js');

let bundlePromise: Promise<string> | undefined;

/** Bundles cli/index.ts to a temporary .cjs file (once per worker). */
export function cliBundle(): Promise<string> {
  bundlePromise ??= (async () => {
    const outfile = join(mkdtempSync(join(tmpdir(), 'dfu-desk-cli-')), 'dfu-desk.cjs');
    await build({
      entryPoints: [join(repoRoot, 'cli/index.ts')],
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      external: ['usb', 'electron'],
      outfile,
      logLevel: 'error',
    });
    return outfile;
  })();
  return bundlePromise;
}

export interface CliRun {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  /** stdout parsed as JSON lines (only meaningful with --json). */
  readonly json: Record<string, unknown>[];
  /** The last JSON line: the result object. */
  readonly result: Record<string, unknown>;
}

export interface CliOptions {
  readonly cwd?: string;
  readonly env?: Readonly<Record<string, string>>;
  /** Run the TypeScript source through tsx instead of the bundle (the fresh-checkout path). */
  readonly fromSource?: boolean;
  /** Called with the child and the output so far whenever stdout grows (for Ctrl-C tests). */
  readonly onStdout?: (child: ChildProcess, stdout: string) => void;
  readonly timeoutMs?: number;
  /** A command that runs node, e.g. ['prlimit', '--fsize=4096'] for a file-size limit ("disk full"). */
  readonly wrapper?: readonly string[];
}

/** Spawns `node bin/dfu-desk.js ...args` and resolves when it exits. */
export async function runCliProcess(args: readonly string[], options: CliOptions = {}): Promise<CliRun> {
  const entry = options.fromSource ? join(repoRoot, 'cli/index.ts') : await cliBundle();
  return new Promise((resolvePromise, reject) => {
    const [command, ...prefix] = [...(options.wrapper ?? []), process.execPath];
    const child = spawn(command, [...prefix, binPath, ...args], {
      cwd: options.cwd ?? repoRoot,
      env: { ...process.env, DFU_DESK_CLI: entry, NO_COLOR: '1', ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`dfu-desk ${args.join(' ')} did not finish in time\nstdout:\n${stdout}\nstderr:\n${stderr}`));
    }, options.timeoutMs ?? 15_000);
    child.stdout.setEncoding('utf8').on('data', (text: string) => {
      stdout += text;
      options.onStdout?.(child, stdout);
    });
    child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const json = stdout
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as Record<string, unknown>);
      resolvePromise({ code, signal, stdout, stderr, json, result: json[json.length - 1] ?? {} });
    });
  });
}
