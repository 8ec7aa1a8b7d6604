// `dfu-desk image FILE [-o OUT]`: what a firmware file contains, without a device: format, every
// block that would be written (all .dfu targets), sizes, CRC-32, start address, whether the vector
// table looks sane; with -o, the same image written as Intel HEX, S-records, a raw binary or a .dfu
// (core/image/convert.ts), all or nothing (node/outputFile.ts). Everything printed that came from
// the file (names, headers) goes through printable(): a target name cannot drive the terminal.
import { resolve } from 'node:path';
import { formatAddress, formatBcd, formatCount, formatCrc, formatSize, formatUsbId } from '../../core/format.js';
import { FLASH_BASE } from '../../core/devices/stm32.js';
import { convertFirmware, outputFormatOfFileName, type Converted } from '../../core/image/convert.js';
import { summarizeImage } from '../../core/image/firmwareFile.js';
import { printable } from '../../core/printable.js';
import { checkOutputFile, writeOutputFile } from '../../node/outputFile.js';
import {
  commonOptions,
  inOptionTerms,
  parseAddressArgument,
  stringOption,
  usageError,
  type CommandSpec,
  type OptionValues,
} from '../args.js';
import type { Command, CommandContext, CommandOutcome } from '../context.js';
import { ExitCode } from '../exitCodes.js';
import { formatArgument, formatNames, formatOption, parseFirmwareInput, readFirmwareInput } from '../imageInput.js';
import { formatTable } from '../output/table.js';

/** Blocks listed in text; --json lists every one. */
const SHOWN_BLOCKS = 32;

const OUTPUT_NAMES = {
  'intel-hex': 'Intel HEX',
  srec: 'Motorola S-record',
  binary: 'raw binary',
  dfuse: 'DfuSe .dfu',
} as const;

const spec: CommandSpec = {
  name: 'image',
  summary:
    'Show what a firmware file contains (every block and .dfu target, CRC-32, start address, vector table); convert it with -o.',
  positionals: [
    {
      name: 'FILE',
      required: true,
      description: 'a .hex, .srec, .elf, .dfu or .bin file (the extension names the format; --format overrides it)',
    },
  ],
  options: {
    ...commonOptions,
    ...formatOption,
    address: {
      type: 'string',
      short: 'a',
      value: 'ADDR',
      description: `where a raw binary starts (shown at ${formatAddress(FLASH_BASE)} without it; required with -o)`,
    },
    output: {
      type: 'string',
      short: 'o',
      value: 'OUT',
      description: 'write the image to OUT: .hex, .srec (.s19 .s28 .s37 .mot), .bin or .dfu picks the format',
    },
    fill: {
      type: 'string',
      value: 'BYTE',
      description: 'with -o OUT.bin: the byte for the gaps between blocks (0xFF, or 0x00 for STM32L0/L1)',
    },
    vid: {
      type: 'string',
      value: 'VID',
      description: "with -o OUT.dfu: the USB vendor ID in hex (default: the file's own, else 0483)",
    },
    pid: {
      type: 'string',
      value: 'PID',
      description: "with -o OUT.dfu: the USB product ID in hex (default: the file's own, else DF11)",
    },
  },
  notes: [
    'Examples:',
    '  dfu-desk image build/firmware.elf',
    '  dfu-desk image build/firmware.elf -o firmware.dfu --vid 0483 --pid df11',
    '  dfu-desk image app.bin --address 0x08004000 -o app.hex',
    '  dfu-desk image firmware.hex -o firmware.bin --fill 0xFF',
  ],
};

/** A byte value: 0xFF or decimal. */
function parseFillArgument(text: string): number {
  const value = /^0x[0-9a-f]{1,2}$/i.test(text)
    ? Number.parseInt(text.slice(2), 16)
    : /^[0-9]{1,3}$/.test(text)
      ? Number.parseInt(text, 10)
      : Number.NaN;
  if (!(value >= 0 && value <= 0xff))
    throw usageError('--fill', `'${printable(text, 20)}' is not a byte value (use 0xFF, 0x00 or 0..255)`);
  return value;
}

/** A USB ID in hexadecimal, as lsusb prints it (0483, 0x0483). */
function parseUsbIdArgument(option: string, text: string): number {
  if (!/^(0x)?[0-9a-f]{1,4}$/i.test(text))
    throw usageError(option, `'${printable(text, 20)}' is not a USB ID (four hex digits, e.g. 0483)`);
  return Number.parseInt(text.replace(/^0x/i, ''), 16);
}

interface OutputRequest {
  readonly path: string;
  readonly format: keyof typeof OUTPUT_NAMES;
  readonly fill?: number;
  readonly vendorId?: number;
  readonly productId?: number;
}

/** -o and its companions, checked before the input is read: a wrong option is found first. */
function outputRequest(values: OptionValues, cwd: string): OutputRequest | undefined {
  const outputText = stringOption(values, 'output');
  const fillText = stringOption(values, 'fill');
  const vidText = stringOption(values, 'vid');
  const pidText = stringOption(values, 'pid');
  if (outputText === undefined) {
    for (const [option, text] of [
      ['--fill', fillText],
      ['--vid', vidText],
      ['--pid', pidText],
    ] as const) {
      if (text !== undefined) throw usageError(option, 'only applies when converting (-o OUT)');
    }
    return undefined;
  }
  const format = outputFormatOfFileName(outputText);
  if (format === undefined)
    throw usageError(
      '--output',
      `'${printable(outputText, 60)}': name it .hex, .srec (.s19 .s28 .s37 .mot), .bin or .dfu so the format is clear`,
    );
  if (fillText !== undefined && format !== 'binary')
    throw usageError('--fill', 'only applies to a .bin output (the other formats keep gaps as gaps)');
  if ((vidText !== undefined || pidText !== undefined) && format !== 'dfuse')
    throw usageError(vidText !== undefined ? '--vid' : '--pid', 'only applies to a .dfu output');
  const path = resolve(cwd, outputText);
  checkOutputFile(path);
  return {
    path,
    format,
    ...(fillText !== undefined && { fill: parseFillArgument(fillText) }),
    ...(vidText !== undefined && { vendorId: parseUsbIdArgument('--vid', vidText) }),
    ...(pidText !== undefined && { productId: parseUsbIdArgument('--pid', pidText) }),
  };
}

function run(context: CommandContext): CommandOutcome {
  const { values } = context;
  const addressText = stringOption(values, 'address');
  const baseAddress = addressText !== undefined ? parseAddressArgument('--address', addressText) : undefined;
  const format = formatArgument(values);
  const output = outputRequest(values, context.io.cwd);
  const input = readFirmwareInput(context.positionals[0]!, context.io.cwd, format !== undefined ? { format } : {});
  const warnings: string[] = [];
  if (input.needsBaseAddress && baseAddress === undefined) {
    // Showing a raw binary at the usual flash start is harmless; writing that guess into a file is not.
    if (output)
      throw usageError(
        '--address',
        `${input.fileName} is a raw binary without addresses: say where it starts (e.g. --address ${formatAddress(FLASH_BASE)}) to convert it`,
      );
    warnings.push(`raw binary: no addresses in the file, shown at ${formatAddress(FLASH_BASE)} (use --address)`);
  } else if (!input.needsBaseAddress && baseAddress !== undefined) {
    warnings.push(
      `--address is ignored: ${input.fileName} is ${formatNames[input.format]} and carries its own addresses`,
    );
  }
  const firmware = parseFirmwareInput(input, baseAddress ?? (input.needsBaseAddress ? FLASH_BASE : undefined));
  const summary = summarizeImage(
    firmware.image,
    firmware.entryAddress !== undefined ? { entryAddress: firmware.entryAddress } : {},
  );
  for (const warning of firmware.warnings) warnings.push(warning);
  for (const warning of summary.warnings) warnings.push(warning);
  const targets = (firmware.targets ?? []).map((target) => ({ target, info: summarizeImage(target.image) }));

  const lines = [
    `File        ${input.fileName} (${formatCount(input.bytes.length)} bytes)`,
    `Format      ${formatNames[firmware.format]}`,
    `SHA-256     ${input.sha256}`,
    `Image       ${formatCount(summary.sizeBytes)} bytes in ${formatCount(summary.blocks.length)} block${summary.blocks.length === 1 ? '' : 's'}, CRC-32 ${formatCrc(summary.crc32)}` +
      (targets.length > 1 ? ` (all ${targets.length} targets)` : ''),
  ];
  if (firmware.entryAddress !== undefined) lines.push(`Entry       ${formatAddress(firmware.entryAddress)}`);
  if (firmware.header !== undefined) lines.push(`Header      ${printable(firmware.header, 80)}`);
  if (firmware.dfu) {
    lines.push(
      `DFU suffix  ${formatUsbId(firmware.dfu.vendorId, firmware.dfu.productId)}, bcdDevice ${formatBcd(firmware.dfu.bcdDevice)}`,
    );
  }
  const shown = summary.blocks.slice(0, SHOWN_BLOCKS);
  lines.push(
    '',
    formatTable(
      ['start', 'end', 'size', 'CRC-32'],
      shown.map((block) => [
        formatAddress(block.start),
        formatAddress(block.end),
        formatSize(block.size),
        formatCrc(block.crc32),
      ]),
      '  ',
    ),
  );
  if (summary.blocks.length > shown.length)
    lines.push(`  ... ${formatCount(summary.blocks.length - shown.length)} more blocks (--json lists them all)`);
  if (targets.length > 0) {
    lines.push(
      '',
      'DfuSe targets:',
      formatTable(
        ['alt', 'name', 'blocks', 'bytes', 'CRC-32'],
        targets.map(({ target, info }) => [
          String(target.alternate),
          target.name !== undefined ? printable(target.name, 60) : '-',
          formatCount(info.blocks.length),
          formatCount(info.sizeBytes),
          formatCrc(info.crc32),
        ]),
        '  ',
      ),
    );
  }
  const vt = summary.vectorTable;
  if (vt) {
    const isSane = vt.isStackInRam && vt.hasThumbBit && vt.isResetInImage;
    lines.push(
      '',
      `Vector table at ${formatAddress(firmware.image.start)}: stack pointer ${formatAddress(vt.initialStackPointer)}${vt.isStackInRam ? ' (in SRAM)' : ' (NOT in SRAM)'}, ` +
        `reset ${formatAddress(vt.resetVector)}${vt.hasThumbBit ? '' : ' (no Thumb bit)'}${vt.isResetInImage ? '' : ' (outside the image)'}: ${isSane ? 'looks sane' : 'suspicious'}`,
    );
  }
  let converted: Converted | undefined;
  if (output) {
    const request = output;
    converted = inOptionTerms({ fill: '--fill' }, () =>
      convertFirmware(firmware, request.format, {
        ...(request.fill !== undefined && { fill: request.fill }),
        ...(request.vendorId !== undefined && { vendorId: request.vendorId }),
        ...(request.productId !== undefined && { productId: request.productId }),
      }),
    );
    writeOutputFile(output.path, converted.bytes);
    lines.push(
      '',
      `Wrote ${printable(output.path)}: ${OUTPUT_NAMES[output.format]}, ${formatCount(converted.bytes.length)} bytes` +
        (output.format === 'binary'
          ? `, starting at ${formatAddress(converted.start)} (flash it with --address ${formatAddress(converted.start)})`
          : '') +
        '; it reads back as the same image',
    );
  }
  context.reporter.text(lines.join('\n'));
  for (const warning of warnings) context.reporter.warning(warning);

  return {
    exitCode: ExitCode.ok,
    result: {
      file: { path: input.path, name: input.fileName, sizeBytes: input.bytes.length, sha256: input.sha256 },
      format: firmware.format,
      sizeBytes: summary.sizeBytes,
      crc32: summary.crc32,
      blocks: summary.blocks,
      ...(firmware.entryAddress !== undefined ? { entryAddress: firmware.entryAddress } : {}),
      ...(firmware.header !== undefined ? { header: firmware.header } : {}),
      ...(vt ? { vectorTable: vt } : {}),
      ...(firmware.dfu ? { dfu: firmware.dfu } : {}),
      ...(targets.length > 0
        ? {
            targets: targets.map(({ target, info }) => ({
              alternate: target.alternate,
              name: target.name ?? null,
              sizeBytes: info.sizeBytes,
              crc32: info.crc32,
              blocks: target.image.ranges,
            })),
          }
        : {}),
      ...(converted && output
        ? {
            output: {
              path: output.path,
              format: converted.format,
              sizeBytes: converted.bytes.length,
              start: converted.start,
            },
          }
        : {}),
      warnings,
    },
  };
}

export const imageCommand: Command = { spec, run: (context) => Promise.resolve().then(() => run(context)) };
