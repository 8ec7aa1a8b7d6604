// `dfu-desk erase`: mass erase a region, or erase the sectors a range touches (whole sectors: the
// output says which, since the range is rounded out to sector boundaries).
import type { DfuError } from '../../core/errors.js';
import { formatAddress } from '../../core/format.js';
import { prepareErase, runErase, type ErasePreparation } from '../../core/jobs/eraseJob.js';
import { commonOptions, deviceOptions, flagOption, inOptionTerms, flashSizeArgument, flashSizeOption, parseAltArgument, parseRangeArgument, stringOption, usageError, type CommandSpec } from '../args.js';
import type { Command, CommandContext, CommandOutcome } from '../context.js';
import { checkDeviceOptions } from '../devices/deviceAccess.js';
import { resolveAlternate } from '../devices/deviceSession.js';
import { ExitCode } from '../exitCodes.js';
import { formatSize } from '../../core/format.js';
import { waitsForFlashSize, withOneDevice } from './deviceCommand.js';

const spec: CommandSpec = {
  name: 'erase',
  summary: 'Erase a whole region (--mass) or the sectors a range touches (--range ADDR:LEN).',
  positionals: [],
  options: {
    ...commonOptions,
    ...deviceOptions,
    mass: { type: 'boolean', description: 'mass erase the region' },
    range: { type: 'string', value: 'ADDR:LEN', description: 'erase every sector that overlaps ADDR..ADDR+LEN, e.g. 0x08004000:16K' },
    alt: { type: 'string', value: 'NAME|N', description: 'the region (default: the main flash); a mass erase is for the main flash only' },
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
  const altText = stringOption(values, 'alt');
  const alt = altText !== undefined ? parseAltArgument(altText) : undefined;
  const flashSizeBytes = flashSizeArgument(values);
  checkDeviceOptions(values, context.io.env);
  let prepared: ErasePreparation | undefined;
  // A mass erase refused only because the flash size is in doubt waits for the connect, which may
  // read the flash-size register (withOneDevice checks again with what it learned).
  let waitingForFlashSize: DfuError | undefined;
  return withOneDevice(context, {
    check: (info) => {
      const alternate = alt ? resolveAlternate(info, alt).alternate : undefined;
      const request = range ? { kind: 'range' as const, range } : { kind: 'mass' as const };
      try {
        prepared = inOptionTerms({ range: '--range', flashSizeBytes: '--flash-size', erase: '--alt', alternate: '--alt' }, () =>
          prepareErase(info, { ...request, ...(alternate !== undefined ? { alternate } : {}) }, flashSizeBytes),
        );
      } catch (error) {
        if (!waitsForFlashSize(error, info, flashSizeBytes)) throw error;
        waitingForFlashSize = error;
        return;
      }
      waitingForFlashSize = undefined;
      for (const warning of prepared.warnings) context.reporter.warning(warning);
    },
    run: async ({ session }) => {
      // The connect did not learn the size: the refusal stands, and nothing was erased.
      if (waitingForFlashSize) throw waitingForFlashSize;
      const job = prepared!;
      await runErase(session, job, context.io.signal);
      const { alternate, region, sectors } = job;
      if (job.requested === 'mass' && job.limit) {
        context.reporter.text(`Erased ${region} below the flash-size limit: ${sectors.length} sectors, up to ${formatAddress(job.limit.end)}`);
        return {
          exitCode: ExitCode.ok,
          result: { alternate, region, mode: 'mass', flashSizeLimit: { end: job.limit.end, sizeBytes: job.limit.sizeBytes }, sectorsErased: sectors.length },
        };
      }
      if (job.requested === 'mass') {
        context.reporter.text(`Mass erased ${region}`);
        return { exitCode: ExitCode.ok, result: { alternate, region, mode: 'mass' } };
      }
      const first = sectors[0]!;
      const last = sectors[sectors.length - 1]!;
      const bytes = sectors.reduce((n, s) => n + s.end - s.start, 0);
      context.reporter.text(
        `Erased ${sectors.length} sector${sectors.length === 1 ? '' : 's'} of ${region} (${first.index}-${last.index}, [${formatAddress(first.start)}, ${formatAddress(last.end)}), ${formatSize(bytes)})`,
      );
      return {
        exitCode: ExitCode.ok,
        result: { alternate, region, mode: 'range', sectors: sectors.map((s) => ({ index: s.index, start: s.start, end: s.end })) },
      };
    },
  });
}

export const eraseCommand: Command = { spec, run: (context) => Promise.resolve().then(() => run(context)) };
