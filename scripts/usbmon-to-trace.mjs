#!/usr/bin/env node
// Converts a Linux usbmon text capture of a DFU session into a USB trace (core/usb/trace.ts) for
// core/testing/fixtures/traces/. The conversion is node/usbmonTrace.ts; this only reads and writes
// files. Recipe and options: docs/hardware.md §4.
//
//   node scripts/usbmon-to-trace.mjs CAPTURE --source "TEXT" [--out FILE] [--device BUS:ADDR]
//        [--descriptors /sys/bus/usb/devices/3-1.4/descriptors] [--string INDEX=TEXT ...] [--keep-serial]
import { readFileSync, writeFileSync } from 'node:fs';
import { tsImport } from 'tsx/esm/api';

const USAGE =
  'usage: node scripts/usbmon-to-trace.mjs CAPTURE --source TEXT [--out FILE] [--device BUS:ADDR] [--descriptors SYSFS_FILE] [--string INDEX=TEXT] [--keep-serial]';

function fail(message) {
  console.error(`usbmon-to-trace: ${message}\n${USAGE}`);
  process.exit(2);
}

const args = process.argv.slice(2);
/** @type {{ capture?: string, source?: string, out?: string, device?: string, descriptors?: string, strings: Record<string, string>, keepSerial: boolean }} */
const options = { strings: {}, keepSerial: false };
for (let i = 0; i < args.length; i++) {
  const arg = args[i];
  const value = () => args[++i] ?? fail(`${arg} needs a value`);
  if (arg === '--source') options.source = value();
  else if (arg === '--out' || arg === '-o') options.out = value();
  else if (arg === '--device') options.device = value();
  else if (arg === '--descriptors') options.descriptors = value();
  else if (arg === '--keep-serial') options.keepSerial = true;
  else if (arg === '--string') {
    const [index, ...text] = value().split('=');
    if (!/^\d+$/.test(index) || text.length === 0) fail(`--string takes INDEX=TEXT, not ${JSON.stringify(args[i])}`);
    options.strings[index] = text.join('=');
  } else if (arg.startsWith('-')) fail(`unknown option ${arg}`);
  else if (options.capture === undefined) options.capture = arg;
  else fail(`one capture file only (also got ${arg})`);
}
if (!options.capture) fail('no capture file');
if (!options.source) fail('--source is required: the tool, board, chip revision and host the capture comes from');

/** @type {{ usbmonToTrace(text: string, options: object): { trace: { entries: unknown[] }, skipped: object, truncated: number } }} */
const converter = await tsImport('../node/usbmonTrace.ts', import.meta.url);
/** @type {{ formatTrace(trace: object): string }} */
const traceFormat = await tsImport('../core/usb/trace.ts', import.meta.url);

try {
  const { trace, skipped, truncated } = converter.usbmonToTrace(readFileSync(options.capture, 'utf8'), {
    source: options.source,
    ...(options.device ? { device: options.device } : {}),
    // sysfs "descriptors" is binary: the device descriptor, then the configuration descriptor(s).
    ...(options.descriptors ? { descriptorsHex: readFileSync(options.descriptors).toString('hex') } : {}),
    strings: options.strings,
    keepSerial: options.keepSerial,
  });
  const text = traceFormat.formatTrace(trace);
  if (options.out) writeFileSync(options.out, text);
  else process.stdout.write(text);
  console.error(
    `${trace.entries.length} entries; left out: ${JSON.stringify(skipped)}; ${truncated} with data cut short by the capture (capturedFrom)`,
  );
} catch (error) {
  console.error(`usbmon-to-trace: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
