// Runs Debian's dfu-util against the virtual bus: an independent libusb client for cross-checking
// the simulator and for the speed comparison in bench/usb.bench.ts. Always asynchronous: the
// simulator answering dfu-util's transfers lives on this process's event loop.
import { execFileSync, spawn } from 'node:child_process';
import type { VirtualUsbHost } from './virtualUsbHost.js';

export interface DfuUtilRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** From spawn to exit, including dfu-util's own start-up and enumeration. */
  readonly wallMs: number;
}

let version: string | null | undefined;

/** "0.11", or null when dfu-util is not installed. */
export function dfuUtilVersion(): string | null {
  if (version !== undefined) return version;
  try {
    const out = execFileSync('dfu-util', ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    version = /dfu-util\s+(\S+)/.exec(out)?.[1] ?? 'unknown';
  } catch {
    version = null;
  }
  return version;
}

export function runDfuUtil(host: VirtualUsbHost, args: readonly string[], options: { timeoutMs?: number } = {}): Promise<DfuUtilRun> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn('dfu-util', args, { env: host.clientEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text));
    child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, wallMs: performance.now() - started });
    });
  });
}
