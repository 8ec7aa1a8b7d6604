// `dfu-desk erase`: mass erase a region, or erase the sectors a range touches (whole sectors: the
// output says which, since the range is rounded out to sector boundaries).
import { formatAddress } from '../../core/bytes.js';
import { checkRangeBelowLimit, describeFlashSizeLimit, flashSizeLimit, sectorsBelowLimit, type FlashSizeLimit } from '../../core/dfuse/flashLimit.js';
import { regionRange, sectorsIn, type Sector } from '../../core/dfuse/memoryLayout.js';
import {
  commonOptions,
  deviceOptions,
  flagOption,
  flashSizeArgument,
  flashSizeOption,
  parseAltArgument,
  parseRangeArgument,
  stringOption,
  usageError,
  type CommandSpec,
} from '../args.js';
import type { Command, CommandContext, CommandOutcome } from '../context.js';
import { checkDeviceOptions } from '../devices/deviceAccess.js';
import { resolveAlternate } from '../devices/deviceSession.js';
import { ExitCode } from '../exitCodes.js';
import { formatBytes } from '../output/units.js';
import { withOneDevice } from './deviceCommand.js';
import { DfuError } from '../../core/errors.js';

const spec: CommandSpec = {
  name: 'erase',
  summary: 'Erase a whole region (--mass) or the sectors a range touches (--range ADDR:LEN).',
  positionals: [],
  options: {
    ...commonOptions,
    ...deviceOptions,
    mass: { type: 'boolean', description: 'mass erase the region' },
    range: { type: 'string', value: 'ADDR:LEN', description: 'erase every sector that overlaps ADDR..ADDR+LEN, e.g. 0x08004000:16K' },
    alt: { type: 'string', value: 'NAME|N', description: 'the region (default 0, Internal Flash)' },
    ...flashSizeOption,
  },
  notes: [
    'Examples:',
    '  dfu-desk erase --mass',
    '  dfu-desk erase --range 0x08004000:16K',
    '  dfu-desk erase --mass --flash-size 128K     (STM32L072xB: erases the 1024 pages below 0x08020000 one by one)',
  ],
};

function run(context: CommandContext): Promise<CommandOutcome> {
  const { values } = context;
  const isMass = flagOption(values, 'mass');
  const rangeText = stringOption(values, 'range');
  if (isMass === (rangeText !== undefined)) throw usageError('erase', 'give exactly one of --mass or --range ADDR:LEN');
  const range = rangeText !== undefined ? parseRangeArgument('--range', rangeText) : undefined;
  const alt = parseAltArgument(stringOption(values, 'alt') ?? '0');
  const flashSizeBytes = flashSizeArgument(values);
  checkDeviceOptions(values, context.io.env);
  let alternate = 0;
  let limit: FlashSizeLimit | undefined;
  let belowLimit: Sector[] = [];
  return withOneDevice(context, {
    check: (info) => {
      const found = resolveAlternate(info, alt);
      if (!found.layout) throw usageError('--alt', `alt setting ${found.alternate} "${found.name}" has no memory layout`);
      const region = found.layout.region;
      alternate = found.alternate;
      limit = flashSizeLimit(info, region, flashSizeBytes);
      if (range) {
        const sectors = sectorsIn(region, range);
        if (sectors.length === 0) throw new DfuError({ kind: 'not-erasable', address: range.start, region: region.name });
        // Whole sectors are erased, so the rounded-out range is what must stay below the limit.
        checkRangeBelowLimit(region, { start: sectors[0]!.start, end: sectors[sectors.length - 1]!.end }, limit, '--range', 'erasing');
      } else if (limit) {
        // A mass erase covers what the bootloader describes: erase the real flash sector by sector.
        belowLimit = sectorsBelowLimit(region, limit);
        context.reporter.warning(
          `mass erase sent as ${belowLimit.length} sector erases up to ${formatAddress(limit.end)}: ${describeFlashSizeLimit(limit, regionRange(region).start)}`,
        );
      }
    },
    run: async ({ session }) => {
      const regionName = session.info.alternates.find((a) => a.alternate === alternate)?.name ?? `alt ${alternate}`;
      if (isMass && limit) {
        await session.eraseSectors(alternate, belowLimit, { signal: context.io.signal });
        context.reporter.text(`Erased ${regionName} below the flash-size limit: ${belowLimit.length} sectors, up to ${formatAddress(limit.end)}`);
        return {
          exitCode: ExitCode.ok,
          result: { alternate, region: regionName, mode: 'mass', flashSizeLimit: { end: limit.end, sizeBytes: limit.sizeBytes }, sectorsErased: belowLimit.length },
        };
      }
      if (isMass) {
        await session.massErase(alternate, { signal: context.io.signal });
        context.reporter.text(`Mass erased ${regionName}`);
        return { exitCode: ExitCode.ok, result: { alternate, region: regionName, mode: 'mass' } };
      }
      const sectors = await session.eraseRange(alternate, range!, { signal: context.io.signal });
      const first = sectors[0]!;
      const last = sectors[sectors.length - 1]!;
      const bytes = sectors.reduce((n, s) => n + s.end - s.start, 0);
      context.reporter.text(
        `Erased ${sectors.length} sector${sectors.length === 1 ? '' : 's'} of ${regionName} (${first.index}-${last.index}, [${formatAddress(first.start)}, ${formatAddress(last.end)}), ${formatBytes(bytes)})`,
      );
      return {
        exitCode: ExitCode.ok,
        result: { alternate, region: regionName, mode: 'range', sectors: sectors.map((s) => ({ index: s.index, start: s.start, end: s.end })) },
      };
    },
  });
}

export const eraseCommand: Command = { spec, run: (context) => Promise.resolve().then(() => run(context)) };
