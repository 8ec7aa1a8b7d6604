#!/usr/bin/env node
// `npm run bench`: every benchmark in bench/ (except the virtual-USB one, `npm run bench:usb`),
// each in its own process so one's memory and JIT state do not colour the next. Real time.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';

const root = new URL('..', import.meta.url).pathname;
const only = process.argv.slice(2);
const files = readdirSync(`${root}bench`)
  .filter((name) => name.endsWith('.bench.ts') && name !== 'usb.bench.ts')
  .filter((name) => only.length === 0 || only.some((word) => name.includes(word)))
  .sort();

let failed = 0;
for (const file of files) {
  console.log(`\n## ${file}\n`);
  const result = spawnSync(process.execPath, ['--import', 'tsx', `bench/${file}`], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
