// `dfu-desk layout STRING`: parse a DfuSe alt-setting string the way the engine will, and show
// the corrections made for bootloaders that break the grammar (the L0's `1536*128g`).
import { formatAddress } from '../../core/format.js';
import {
  formatLayout,
  parseMemoryLayout,
  regionRange,
  sectorCountOf,
  type MemoryRegion,
  type Segment,
} from '../../core/dfuse/memoryLayout.js';
import { commonOptions, flagOption, type CommandSpec } from '../args.js';
import type { Command, CommandContext, CommandOutcome } from '../context.js';
import { ExitCode } from '../exitCodes.js';
import { formatSize } from '../../core/format.js';
import { formatTable } from '../output/table.js';

const spec: CommandSpec = {
  name: 'layout',
  summary: 'Parse a DfuSe memory-layout string (an alt-setting name) and show its regions, sectors, flags and corrections.',
  positionals: [{ name: 'STRING', required: true, description: "the alt-setting string, e.g. '@Internal Flash  /0x08000000/1536*128g'" }],
  options: {
    ...commonOptions,
    sectors: { type: 'boolean', description: 'list every sector with its index and address range' },
  },
  notes: ["Example: dfu-desk layout '@Internal Flash  /0x08000000/04*016Kg,01*064Kg,07*128Kg'"],
};

export function accessText(segment: Pick<Segment, 'readable' | 'erasable' | 'writable'>): string {
  return `${segment.readable ? 'r' : '-'}${segment.erasable ? 'e' : '-'}${segment.writable ? 'w' : '-'}`;
}

export function segmentJson(segment: Segment): Record<string, unknown> {
  return {
    start: segment.start,
    end: segment.end,
    sectorSize: segment.sectorSize,
    sectorCount: segment.sectorCount,
    readable: segment.readable,
    erasable: segment.erasable,
    writable: segment.writable,
  };
}

/** The segment table both `layout` and `info` print. */
export function formatSegments(region: MemoryRegion, indent = '  '): string {
  const rows = region.segments.map((segment) => [
    formatAddress(segment.start),
    formatAddress(segment.end),
    `${segment.sectorCount} x ${formatSize(segment.sectorSize)}`,
    formatSize(segment.end - segment.start),
    accessText(segment),
  ]);
  return formatTable(['start', 'end', 'sectors', 'size', 'access'], rows, indent);
}

function run(context: CommandContext): CommandOutcome {
  const input = context.positionals[0]!;
  const { region, warnings } = parseMemoryLayout(input);
  const range = regionRange(region);
  const sectorCount = sectorCountOf(region);
  const sizeBytes = region.segments.reduce((sum, segment) => sum + segment.end - segment.start, 0);
  const canonical = formatLayout(region);

  const lines = [
    `Region     ${region.name}`,
    `Range      ${formatAddress(range.start)} - ${formatAddress(range.end)} (${formatSize(sizeBytes)} in ${sectorCount} sectors)`,
    '',
    formatSegments(region),
  ];
  if (flagOption(context.values, 'sectors')) {
    lines.push('', formatTable(['sector', 'start', 'end', 'size', 'access'], sectorRows(region), '  '));
  }
  if (warnings.length > 0) {
    lines.push('', "Corrections (the string breaks the DfuSe grammar; read as real ST bootloaders mean it):");
    for (const warning of warnings) lines.push(`  position ${warning.position}: ${warning.message}`);
  }
  lines.push('', `Canonical  ${canonical}`);
  context.reporter.text(lines.join('\n'));

  return {
    exitCode: ExitCode.ok,
    result: {
      region: { name: region.name, start: range.start, end: range.end, sizeBytes, sectorCount, segments: region.segments.map(segmentJson) },
      warnings: warnings.map((warning) => ({ position: warning.position, message: warning.message })),
      canonical,
    },
  };
}

function sectorRows(region: MemoryRegion): string[][] {
  const rows: string[][] = [];
  let index = 0;
  for (const segment of region.segments) {
    for (let i = 0; i < segment.sectorCount; i++, index++) {
      const start = segment.start + i * segment.sectorSize;
      rows.push([String(index), formatAddress(start), formatAddress(start + segment.sectorSize), formatSize(segment.sectorSize), accessText(segment)]);
    }
  }
  return rows;
}

export const layoutCommand: Command = { spec, run: (context) => Promise.resolve().then(() => run(context)) };
