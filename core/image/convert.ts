// Writing a firmware file in another format: the job of DfuSe's DfuFileMgr, dfu-suffix and srec_cat
// in one place, for the CLI's `image -o` and the app's "Save as". What each output keeps: Intel HEX
// and S-records keep every block and the start address; a .dfu keeps every block with its .dfu
// target (alt setting and name) and a USB identity; a raw binary keeps neither addresses nor gaps,
// so it needs a fill byte for the gaps and the caller must remember where it starts.
// Every output is read back and compared with the image before it is handed out.

import { bytesEqual } from '../bytes.js';
import { DfuError } from '../errors.js';
import { formatAddress, formatSize } from '../format.js';
import { writeBinary } from './binary.js';
import { writeDfuFile, type DfuTarget } from './dfuFile.js';
import { FORMAT_EXTENSIONS, extensionOf, loadFirmware, type FirmwareFile } from './firmwareFile.js';
import { writeIntelHex } from './intelHex.js';
import type { MemoryImage } from './memoryImage.js';
import { writeSrec } from './srec.js';

export type OutputFormat = 'intel-hex' | 'srec' | 'binary' | 'dfuse';

/** The output format a file name's extension names (.hex, .srec/.s19/..., .bin, .dfu); ELF is never written. */
export function outputFormatOfFileName(fileName: string): OutputFormat | undefined {
  const extension = extensionOf(fileName);
  for (const format of ['intel-hex', 'srec', 'binary', 'dfuse'] as const)
    if (FORMAT_EXTENSIONS[format].includes(extension)) return format;
  return undefined;
}

export interface ConvertOptions {
  /** Gap filler for a raw binary (e.g. 0xFF, or 0x00 for STM32L0/L1); needed only when the image has gaps. */
  readonly fill?: number;
  /** USB identity for a .dfu; default the source file's own, else ST's bootloader 0483:DF11. */
  readonly vendorId?: number;
  readonly productId?: number;
}

export interface Converted {
  readonly format: OutputFormat;
  readonly bytes: Uint8Array;
  /** Where a raw binary's first byte belongs (a .bin carries no address). */
  readonly start: number;
}

function invalid(argument: string, reason: string): DfuError {
  return new DfuError({ kind: 'invalid-argument', argument, reason });
}

/** The first gap between blocks, for the message that asks for a fill byte. */
function firstGap(image: MemoryImage): { start: number; end: number } | undefined {
  const [first, second] = [image.blocks[0], image.blocks[1]];
  return first && second ? { start: first.start + first.data.length, end: second.start } : undefined;
}

/** `firmware` (as loadFirmware returned it) written as `format`. */
export function convertFirmware(firmware: FirmwareFile, format: OutputFormat, options: ConvertOptions = {}): Converted {
  const image = firmware.image;
  if (image.isEmpty) throw invalid('image', 'the file holds no bytes: nothing to write');
  let bytes: Uint8Array;
  switch (format) {
    case 'intel-hex':
      bytes = new TextEncoder().encode(
        writeIntelHex(
          image,
          firmware.entryAddress !== undefined
            ? { startAddress: { kind: 'linear', address: firmware.entryAddress } }
            : {},
        ),
      );
      break;
    case 'srec': {
      // The smallest address field that holds every address and the start address (S1, S2 or S3).
      const highest = Math.max(image.end, (firmware.entryAddress ?? 0) + 1);
      bytes = new TextEncoder().encode(
        writeSrec(image, {
          addressBytes: highest > 0x1000000 ? 4 : highest > 0x10000 ? 3 : 2,
          ...(firmware.entryAddress !== undefined && { startAddress: firmware.entryAddress }),
          ...(firmware.header !== undefined && { header: firmware.header }),
        }),
      );
      break;
    }
    case 'binary': {
      const gap = firstGap(image);
      if (gap && options.fill === undefined) {
        throw invalid(
          'fill',
          `the image has ${image.blocks.length - 1} gap${image.blocks.length > 2 ? 's' : ''} between its blocks (the first ${formatAddress(gap.start)}..${formatAddress(gap.end)}, ${formatSize(gap.end - gap.start)}): name the byte that fills them (0xFF, or 0x00 for STM32L0/L1 flash)`,
        );
      }
      bytes = writeBinary(image, { fill: options.fill ?? 0xff }).data;
      break;
    }
    case 'dfuse': {
      const targets: readonly DfuTarget[] =
        firmware.targets && firmware.targets.length > 0 ? firmware.targets : [{ alternate: 0, image }];
      bytes = writeDfuFile({
        targets,
        vendorId: options.vendorId ?? firmware.dfu?.vendorId ?? 0x0483,
        productId: options.productId ?? firmware.dfu?.productId ?? 0xdf11,
        bcdDevice: firmware.dfu?.bcdDevice ?? 0,
      });
      break;
    }
  }
  checkReadsBack(image, format, bytes, options.fill ?? 0xff);
  return { format, bytes, start: image.start };
}

/** The output, read back by DFU Desk's own readers, must hold exactly the image's bytes. */
function checkReadsBack(image: MemoryImage, format: OutputFormat, bytes: Uint8Array, fill: number): void {
  let same: boolean;
  if (format === 'binary') {
    same = bytesEqual(bytes, image.read({ start: image.start, end: image.end }, fill));
  } else {
    const back = loadFirmware(bytes, { format }).image;
    same =
      back.blocks.length === image.blocks.length &&
      back.blocks.every(
        (block, i) => block.start === image.blocks[i]!.start && bytesEqual(block.data, image.blocks[i]!.data),
      );
  }
  if (!same)
    throw new DfuError({
      kind: 'internal',
      message: `the ${format} output does not read back as the image it was made from`,
    });
}
