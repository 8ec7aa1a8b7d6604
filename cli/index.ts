// Process glue for dfu-desk: real stdout/stderr, clocks, Ctrl-C. Everything else is in cli.ts.
// This file (and everything it imports) must not import `electron`: the CLI runs under plain Node.
import { performance } from 'node:perf_hooks';
import { runCli } from './cli.js';
import { ExitCode } from './exitCodes.js';
import { findToolVersion } from './version.js';

const controller = new AbortController();
let interrupts = 0;
const onInterrupt = (signal: NodeJS.Signals) => {
  interrupts++;
  if (interrupts > 1) {
    // The second Ctrl-C does not wait for a safe point: the user insists.
    process.stderr.write('interrupted again: exiting now (the device may need a replug)\n');
    process.exit(ExitCode.cancelled);
  }
  process.stderr.write(`${signal === 'SIGINT' ? 'Ctrl-C' : signal}: stopping at the next safe point (press Ctrl-C again to force)\n`);
  controller.abort(new Error(`interrupted by ${signal}`));
};
process.on('SIGINT', onInterrupt);
process.on('SIGTERM', onInterrupt);

const sink = (stream: NodeJS.WriteStream) => ({
  write: (text: string) => void stream.write(text),
  get isTTY() {
    return stream.isTTY === true;
  },
  get columns() {
    return stream.columns;
  },
});

// No top-level await: the bundle (dist/cli/dfu-desk.cjs) is CommonJS.
void runCli(
  process.argv.slice(2),
  {
    stdout: sink(process.stdout),
    stderr: sink(process.stderr),
    env: process.env,
    cwd: process.cwd(),
    platform: process.platform,
    now: () => performance.now(),
    wallClock: () => Date.now(),
    signal: controller.signal,
  },
  findToolVersion(process.argv[1]),
).then((exitCode) => {
  // Exit explicitly once stdout has drained: an open USB hotplug listener would otherwise keep the
  // process alive after the work is done.
  process.stdout.write('', () => process.exit(exitCode));
});
