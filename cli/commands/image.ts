// `dfu-desk image FILE`: what a firmware file contains, without a device: format, blocks with
// addresses, sizes and CRC-32, start address, and whether the vector table looks sane.
import { formatAddress, formatBcd, formatCrc, formatUsbId } from '../../core/format.js';
import { FLASH_BASE } from '../../core/devices/stm32.js';
import { summarizeImage } from '../../core/image/firmwareFile.js';
import { commonOptions, parseAddressArgument, stringOption, type CommandSpec } from '../args.js';
import type { Command, CommandContext, CommandOutcome } from '../context.js';
import { ExitCode } from '../exitCodes.js';
import { formatNames, parseFirmwareInput, readFirmwareInput } from '../imageInput.js';
import { formatTable } from '../output/table.js';
import { formatSize, formatCount } from '../../core/format.js';

const spec: CommandSpec = {
  name: 'image',
  summary: 'Show what a firmware file contains: format, blocks, CRC-32, start address, vector-table sanity.',
  positionals: [{ name: 'FILE', required: true, description: 'a .hex, .srec, .elf, .dfu or .bin file (the format is detected from the content)' }],
  options: {
    ...commonOptions,
    address: { type: 'string', value: 'ADDR', description: `where a raw binary starts (default ${formatAddress(FLASH_BASE)})` },
  },
  notes: ['Example: dfu-desk image build/firmware.elf'],
};


function run(context: CommandContext): CommandOutcome {
  const addressText = stringOption(context.values, 'address');
  const baseAddress = addressText !== undefined ? parseAddressArgument('--address', addressText) : undefined;
  const input = readFirmwareInput(context.positionals[0]!, context.io.cwd);
  const warnings: string[] = [];
  if (input.needsBaseAddress && baseAddress === undefined) {
    warnings.push(`raw binary: no addresses in the file, shown at ${formatAddress(FLASH_BASE)} (use --address)`);
  }
  const firmware = parseFirmwareInput(input, baseAddress ?? (input.needsBaseAddress ? FLASH_BASE : undefined));
  const summary = summarizeImage(firmware.image, firmware.entryAddress !== undefined ? { entryAddress: firmware.entryAddress } : {});
  warnings.push(...firmware.warnings, ...summary.warnings);

  const lines = [
    `File        ${input.fileName} (${formatCount(input.bytes.length)} bytes)`,
    `Format      ${formatNames[firmware.format]}`,
    `SHA-256     ${input.sha256}`,
    `Image       ${formatCount(summary.sizeBytes)} bytes in ${summary.blocks.length} block${summary.blocks.length === 1 ? '' : 's'}, CRC-32 ${formatCrc(summary.crc32)}`,
  ];
  if (firmware.entryAddress !== undefined) lines.push(`Entry       ${formatAddress(firmware.entryAddress)}`);
  if (firmware.dfu) {
    lines.push(`DFU suffix  ${formatUsbId(firmware.dfu.vendorId, firmware.dfu.productId)}, bcdDevice ${formatBcd(firmware.dfu.bcdDevice)}`);
  }
  lines.push(
    '',
    formatTable(
      ['start', 'end', 'size', 'CRC-32'],
      summary.blocks.map((block) => [formatAddress(block.start), formatAddress(block.end), formatSize(block.size), formatCrc(block.crc32)]),
      '  ',
    ),
  );
  if (firmware.targets && firmware.targets.length > 0) {
    lines.push(
      '',
      'DfuSe targets:',
      formatTable(
        ['alt', 'name', 'blocks', 'bytes'],
        firmware.targets.map((target) => [String(target.alternate), target.name ?? '-', String(target.image.blocks.length), formatCount(target.image.size)]),
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
      ...(vt ? { vectorTable: vt } : {}),
      ...(firmware.dfu ? { dfu: firmware.dfu } : {}),
      ...(firmware.targets
        ? { targets: firmware.targets.map((t) => ({ alternate: t.alternate, name: t.name ?? null, sizeBytes: t.image.size, blocks: t.image.ranges })) }
        : {}),
      warnings,
    },
  };
}

export const imageCommand: Command = { spec, run: (context) => Promise.resolve().then(() => run(context)) };
