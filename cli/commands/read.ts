// `dfu-desk read`: read a region (or part of it) into a .hex, .bin or .dfu file: a backup before
// flashing, or evidence after a failed verification.
import { extname, resolve } from 'node:path';
import { formatAddress } from '../../core/format.js';
import { familyFacts } from '../../core/devices/stm32.js';
import { prepareRead } from '../../core/jobs/readJob.js';
import { writeBinary } from '../../core/image/binary.js';
import { writeDfuFile } from '../../core/image/dfuFile.js';
import { writeIntelHex } from '../../core/image/intelHex.js';
import type { MemoryImage } from '../../core/image/memoryImage.js';
import type { DeviceInfo } from '../../core/usb/descriptors.js';
import {
  commonOptions,
  deviceOptions,
  flashSizeArgument,
  flashSizeOption,
  inOptionTerms,
  parseAddressArgument,
  parseAltArgument,
  parseLengthArgument,
  stringOption,
  usageError,
  type CommandSpec,
} from '../args.js';
import type { Command, CommandContext, CommandOutcome } from '../context.js';
import { checkDeviceOptions } from '../devices/deviceAccess.js';
import { resolveAlternate } from '../devices/deviceSession.js';
import { ExitCode } from '../exitCodes.js';
import { formatCount } from '../../core/format.js';
import { withOneDevice } from './deviceCommand.js';
import { checkOutputFile, writeOutputFile } from '../../node/outputFile.js';

const spec: CommandSpec = {
  name: 'read',
  summary: 'Read device memory into a .hex, .bin or .dfu file (a backup).',
  positionals: [],
  options: {
    ...commonOptions,
    ...deviceOptions,
    alt: { type: 'string', value: 'NAME|N', description: 'the region to read (default 0, Internal Flash)' },
    address: { type: 'string', short: 'a', value: 'ADDR', description: 'first address (default: the start of the region)' },
    length: { type: 'string', short: 'l', value: 'N', description: 'bytes to read, e.g. 65536, 0x10000 or 64K (default: to the end of the region)' },
    output: { type: 'string', short: 'o', value: 'OUT', description: 'the file to write; .hex, .bin or .dfu picks the format' },
    ...flashSizeOption,
  },
  notes: ['Example: dfu-desk read --alt 0 --address 0x08000000 --length 192K -o backup.hex'],
};

type OutputFormat = 'hex' | 'bin' | 'dfu';

function outputFormat(path: string): OutputFormat {
  const extension = extname(path).toLowerCase();
  if (extension === '.hex' || extension === '.ihex' || extension === '.ihx') return 'hex';
  if (extension === '.bin') return 'bin';
  if (extension === '.dfu') return 'dfu';
  throw usageError('--output', `'${path}': use a .hex, .bin or .dfu file name so the format is clear`);
}

function encode(format: OutputFormat, image: MemoryImage, info: DeviceInfo, alternate: number, regionName: string): Uint8Array {
  switch (format) {
    case 'hex':
      return new TextEncoder().encode(writeIntelHex(image));
    case 'bin':
      return writeBinary(image, { fill: familyFacts(info.family).erasedValue }).data;
    case 'dfu':
      return writeDfuFile({ targets: [{ alternate, name: regionName, image }], vendorId: info.vendorId, productId: info.productId });
  }
}

function run(context: CommandContext): Promise<CommandOutcome> {
  const { values } = context;
  const outputText = stringOption(values, 'output');
  if (outputText === undefined) throw usageError('--output', 'missing: say where to write, e.g. -o backup.hex');
  const format = outputFormat(outputText);
  const outputPath = resolve(context.io.cwd, outputText);
  // Before the device: a missing folder or a read-only place is found now, not after a long read.
  checkOutputFile(outputPath);
  const alt = parseAltArgument(stringOption(values, 'alt') ?? '0');
  const addressText = stringOption(values, 'address');
  const lengthText = stringOption(values, 'length');
  const start = addressText !== undefined ? parseAddressArgument('--address', addressText) : undefined;
  const length = lengthText !== undefined ? parseLengthArgument('--length', lengthText) : undefined;
  const flashSizeBytes = flashSizeArgument(values);
  checkDeviceOptions(values, context.io.env);

  let range = { start: 0, end: 0 };
  let alternate = 0;
  let regionName = '';
  return withOneDevice(context, {
    check: (info) => {
      // Reading above the real flash hangs the L072xB bootloader (reference §7.1): without --length
      // the read stops at the limit; with it, crossing the limit is refused (core/jobs/readJob.ts).
      const found = resolveAlternate(info, alt);
      if (!found.layout) throw usageError('--alt', `alt setting ${found.alternate} "${found.name}" has no memory layout to read`);
      const prepared = inOptionTerms({ range: '--address/--length', flashSizeBytes: '--flash-size' }, () =>
        prepareRead(info, { alternate: found.alternate, ...(start !== undefined ? { start } : {}), ...(length !== undefined ? { length } : {}) }, flashSizeBytes),
      );
      range = prepared.range;
      alternate = prepared.alternate;
      regionName = prepared.region;
    },
    run: async ({ session }) => {
      const image = await session.read(alternate, range, { signal: context.io.signal });
      const bytes = encode(format, image, session.info, alternate, regionName);
      writeOutputFile(outputPath, bytes);
      context.reporter.text(
        `Read ${formatCount(image.size)} bytes of ${regionName} [${formatAddress(range.start)}, ${formatAddress(range.end)}) into ${outputPath} (${format}, ${formatCount(bytes.length)} bytes)`,
      );
      return {
        exitCode: ExitCode.ok,
        result: { alternate, region: regionName, start: range.start, end: range.end, bytesRead: image.size, output: { path: outputPath, format, sizeBytes: bytes.length } },
      };
    },
  });
}

export const readCommand: Command = { spec, run: (context) => Promise.resolve().then(() => run(context)) };
