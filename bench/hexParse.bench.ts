// Intel HEX parse speed: DFU Desk's reader against the two npm packages the design considered,
// on the same text in the same process. Real time, median of several runs after warm-up.
// Run alone: node --import tsx bench/hexParse.bench.ts   (or as part of `npm run bench`)
// Why DFU Desk has its own reader, with these numbers: docs/image-formats.md.

import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import MemoryMap from 'nrf-intel-hex';
import { loadFirmware } from '../core/image/firmwareFile.js';
import { parseIntelHex, writeIntelHex } from '../core/image/intelHex.js';
import { MemoryImage } from '../core/image/memoryImage.js';
import { xorshiftBytes } from '../core/simulator/pseudoRandom.js';
import { medianMs } from './medianTime.js';

// intel-hex 0.2.0 is CommonJS without type declarations; this is the one function it exports
// that matters here: parse(text, bufferSize?, addressOffset?).
interface IntelHexPackage {
  parse(data: string, bufferSize?: number, addressOffset?: number): { data: Uint8Array; startLinearAddress: number | null };
}
const intelHex = createRequire(import.meta.url)('intel-hex') as IntelHexPackage;

export interface HexBenchRow {
  readonly input: string;
  readonly parser: string;
  readonly hexBytes: number;
  readonly medianMs: number;
  /** Megabytes (10^6 bytes) of HEX text per second. */
  readonly mbPerSecond: number;
  /** nrf-intel-hex's median time divided by this row's. */
  readonly speedupVsNrf: number;
  /** What the parser returned: blocks and their total size, or one gap-filled buffer. */
  readonly result: string;
}

const FLASH = 0x08000000;
const EEPROM = 0x08080000; // STM32L0/L1 data EEPROM



function blocks(count: number): string {
  return `${count} block${count === 1 ? '' : 's'}`;
}

function kib(bytes: number): string {
  return `${(bytes / 1024).toFixed(bytes % 1024 ? 1 : 0)} KiB`;
}

/** The two inputs: objcopy-style HEX (16-byte records, CRLF) of a full 2 MiB image, and flash + data EEPROM. */
export function hexBenchInputs(): { name: string; text: string; image: MemoryImage; span: { start: number; end: number } }[] {
  const contiguous = MemoryImage.fromBytes(FLASH, xorshiftBytes(2 * 1024 * 1024, 1));
  const sparse = MemoryImage.fromBlocks([
    { start: FLASH, data: xorshiftBytes(64 * 1024, 2) },
    { start: EEPROM, data: xorshiftBytes(4 * 1024, 3) },
  ]);
  return [
    { name: '2 MiB contiguous', text: writeIntelHex(contiguous), image: contiguous, span: { start: contiguous.start, end: contiguous.end } },
    { name: 'sparse: 64 KiB flash + 4 KiB EEPROM', text: writeIntelHex(sparse), image: sparse, span: { start: sparse.start, end: sparse.end } },
  ];
}

export function runHexBench(options: { runs?: number } = {}): HexBenchRow[] {
  const runs = options.runs ?? 7;
  const rows: HexBenchRow[] = [];
  for (const { name, text, image, span } of hexBenchInputs()) {
    // Check each result before timing it: a fast wrong parser proves nothing.
    const bytes = new TextEncoder().encode(text);
    const ours = parseIntelHex(text).image;
    if (ours.size !== image.size || ours.blocks.length !== image.blocks.length) throw new Error(`DFU Desk parser returned a different image for ${name}`);
    const nrf = MemoryMap.fromHex(text);
    const nrfSize = [...nrf.values()].reduce((sum, block) => sum + block.length, 0);
    if (nrfSize !== image.size) throw new Error(`nrf-intel-hex returned ${nrfSize} bytes for ${name}`);
    // intel-hex needs the base address as addressOffset; without it the buffer would start at 0.
    const filled = intelHex.parse(text, undefined, span.start).data;
    if (filled.length !== span.end - span.start) throw new Error(`intel-hex returned ${filled.length} bytes for ${name}`);

    const measured = [
      { parser: 'DFU Desk parseIntelHex', ms: medianMs(runs, () => parseIntelHex(text)), result: `${blocks(ours.blocks.length)}, ${kib(ours.size)}` },
      { parser: 'DFU Desk loadFirmware (file bytes, incl. decoding and detection)', ms: medianMs(runs, () => loadFirmware(bytes)), result: `${blocks(ours.blocks.length)}, ${kib(ours.size)}` },
      { parser: 'nrf-intel-hex 1.4.0 MemoryMap.fromHex', ms: medianMs(runs, () => MemoryMap.fromHex(text)), result: `${blocks(nrf.size)}, ${kib(nrfSize)}` },
      {
        parser: 'intel-hex 0.2.0 parse (with addressOffset)',
        ms: medianMs(runs, () => intelHex.parse(text, undefined, span.start)),
        result: `1 buffer, ${kib(filled.length)}${filled.length > image.size ? `, ${kib(filled.length - image.size)} of it 0xFF filler` : ''}`,
      },
    ];
    const nrfMs = measured.find((row) => row.parser.startsWith('nrf'))!.ms;
    for (const { parser, ms, result } of measured) {
      rows.push({ input: name, parser, hexBytes: text.length, medianMs: ms, mbPerSecond: text.length / 1e6 / (ms / 1000), speedupVsNrf: nrfMs / ms, result });
    }
  }
  return rows;
}

/**
 * What intel-hex does with the sparse image when called without addressOffset: it sizes its buffer
 * from address 0. Measured once, outside the timed runs, because it allocates hundreds of MiB.
 */
export function intelHexWithoutOffsetBytes(): number {
  const sparse = hexBenchInputs()[1]!;
  return intelHex.parse(sparse.text).data.length;
}

export function formatHexBenchTable(rows: readonly HexBenchRow[]): string {
  const lines = [
    '| input | parser | HEX size | median ms | MB/s | vs nrf-intel-hex | result |',
    '|---|---|---:|---:|---:|---:|---|',
    ...rows.map(
      (row) =>
        `| ${row.input} | ${row.parser} | ${(row.hexBytes / 1e6).toFixed(2)} MB | ${row.medianMs.toFixed(1)} | ${row.mbPerSecond.toFixed(0)} | ${row.speedupVsNrf.toFixed(1)}x | ${row.result} |`,
    ),
  ];
  return lines.join('\n');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const rows = runHexBench();
  console.log(formatHexBenchTable(rows));
  const withoutOffset = intelHexWithoutOffsetBytes();
  console.log(
    `\nintel-hex without addressOffset on the sparse input returns one ${(withoutOffset / 1024 / 1024).toFixed(1)} MiB buffer ` +
      `(address 0 up to the EEPROM end, gaps filled with 0xFF; it is a view of an allocation twice that size); ` +
      `with addressOffset, ${kib(EEPROM + 4096 - FLASH)}. Filler and real bytes cannot be told apart, so it cannot back a sparse image.`,
  );
  const ours = rows.find((row) => row.input.startsWith('2 MiB') && row.parser.startsWith('DFU Desk'))!;
  const target = ours.medianMs < 150 && ours.speedupVsNrf >= 5;
  console.log(`\nTarget (2 MiB < 150 ms and >= 5x nrf-intel-hex): ${target ? 'met' : 'NOT met'} (${ours.medianMs.toFixed(1)} ms, ${ours.speedupVsNrf.toFixed(1)}x).`);
  if (!target) process.exitCode = 1;
}
