// `node --import tsx e2e/host/main.ts [--port N] [--simulator spec] [--speed N] [--work dir] [--renderer dir]`:
// starts the test host and prints "DFU Desk test host: <url>" (specs and preview read that line).
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { startHost } from './server.js';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    simulator: { type: 'string' },
    speed: { type: 'string', default: '1' },
    work: { type: 'string' },
    renderer: { type: 'string' },
  },
});

const workDirectory = values.work ?? (await mkdtemp(path.join(tmpdir(), 'dfu-desk-host-')));
const host = await startHost({
  port: Number(values.port),
  simulator: values.simulator ?? process.env.DFU_SIMULATOR,
  speed: Number(values.speed),
  workDirectory,
  ...(values.renderer ? { rendererDirectory: values.renderer } : {}),
});
process.stdout.write(`DFU Desk test host: ${host.url}\nwork directory: ${workDirectory}\n`);

const stop = () => {
  void host.close().then(() => process.exit(0));
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
