// `dfu-desk flash FILE`: load any supported image, plan, erase, write, verify, optionally leave.
// With --all every connected DFU device is flashed in parallel (gang programming); with --watch
// the command becomes a station that flashes each board as it is plugged in.
import type { ProgramOptions } from '../../core/dfuse/plan.js';
import type { ConfirmationKind } from '../../core/errors.js';
import { toDfuError } from '../../core/errors.js';
import {
  commonOptions,
  confirmationOptions,
  confirmedFrom,
  deviceOptions,
  flagOption,
  flashSizeArgument,
  flashSizeOption,
  parseAddressArgument,
  parseAltArgument,
  parseEraseMode,
  stringOption,
  usageError,
  type CommandSpec,
  type OptionSpecs,
  type OptionValues,
} from '../args.js';
import type { Command, CommandContext, CommandOutcome } from '../context.js';
import { checkDeviceOptions, openDeviceAccess } from '../devices/deviceAccess.js';
import { chooseDevices, openDevice } from '../devices/deviceSession.js';
import { combineExitCodes, ExitCode } from '../exitCodes.js';
import { formatArgument, formatNames, formatOption, readFirmwareInput, type FirmwareInput } from '../imageInput.js';
import { formatCount } from '../../core/format.js';
import { boardsOutcome, failedOutcome, outcomeJson, outcomeLine, runDeviceJob, type DeviceJob, type DeviceOutcome } from './deviceJob.js';
import { boardTargetOf } from '../../core/jobs/boardTarget.js';
import { runStation } from './station.js';
import { checkReportPaths } from '../reportFiles.js';

/** The confirmations a flash may need, each with its flag (core/jobs/confirmations.ts). */
const FLASH_CONFIRMATIONS: readonly ConfirmationKind[] = ['write-otp', 'write-option-bytes', 'option-lockout', 'permanent-lock', 'file-for-other-device'];
const VERIFY_CONFIRMATIONS: readonly ConfirmationKind[] = ['file-for-other-device'];

/** Options flash and verify share. */
export const imageTargetOptions: OptionSpecs = {
  address: { type: 'string', short: 'a', value: 'ADDR', description: 'where a raw binary starts (default: the start of the target region)' },
  ...formatOption,
  alt: { type: 'string', value: 'NAME|N', description: 'the target region: alt-setting number or name (default: by the image addresses)' },
  all: { type: 'boolean', description: 'every connected DFU device, in parallel, one result line each' },
  report: { type: 'string', value: 'FILE', description: 'write a flash report: FILE.json plus Markdown (or HTML if FILE ends in .html)' },
  ...flashSizeOption,
  ...confirmationOptions(VERIFY_CONFIRMATIONS),
};

const spec: CommandSpec = {
  name: 'flash',
  summary: 'Program a firmware file: plan, erase, write, verify, optionally leave DFU mode.',
  positionals: [{ name: 'FILE', required: true, description: 'a .hex, .srec, .elf, .dfu or .bin file (the extension names the format; --format overrides it)' }],
  options: {
    ...commonOptions,
    ...deviceOptions,
    ...imageTargetOptions,
    erase: { type: 'string', value: 'MODE', description: 'touched (default: only the sectors the image touches), mass, or none' },
    differential: { type: 'boolean', description: 'read the device first; erase and write only sectors that differ' },
    preserve: { type: 'boolean', description: 'keep data in partially covered sectors (read, erase, write back)' },
    'erase-blank': { type: 'boolean', description: 'erase every touched sector, also one that reads blank (by default, on F0-F4, such a sector is read and left alone)' },
    'no-verify': { type: 'boolean', description: 'skip reading back and comparing' },
    leave: { type: 'boolean', description: 'leave DFU mode and start the application afterwards' },
    plan: { type: 'boolean', description: 'print the plan (sectors, bytes, warnings, estimated time) and touch nothing' },
    watch: { type: 'boolean', description: 'station mode: flash every board as it is plugged in, until Ctrl-C' },
    ...confirmationOptions(FLASH_CONFIRMATIONS.filter((kind) => !VERIFY_CONFIRMATIONS.includes(kind))),
    boards: { type: 'string', value: 'N', description: 'with --watch: stop after N boards' },
    'simulate-hotplug': { type: 'string', value: 'MS', description: 'with --watch --simulate: plug the simulated boards in one by one, MS apart', hidden: true },
  },
  notes: [
    'Examples:',
    '  dfu-desk flash firmware.hex',
    '  dfu-desk flash app.bin --address 0x08004000 --leave',
    '  dfu-desk flash firmware.hex --all --report reports/board.md',
    '  dfu-desk flash firmware.hex --simulate stm32l073            (no hardware needed)',
  ],
};

export function programOptionsFrom(values: OptionValues): ProgramOptions {
  const eraseText = stringOption(values, 'erase');
  const flashSizeBytes = flashSizeArgument(values);
  return {
    erase: eraseText !== undefined ? parseEraseMode(eraseText) : 'touched',
    differential: flagOption(values, 'differential'),
    preserve: flagOption(values, 'preserve'),
    ...(flagOption(values, 'erase-blank') ? { skipBlankSectors: false } : {}),
    verify: !flagOption(values, 'no-verify'),
    leave: flagOption(values, 'leave'),
    ...(flashSizeBytes !== undefined ? { flashSizeBytes } : {}),
  };
}

/** Everything about FILE and the options that can be checked without a device. */
export function prepareImageJob(context: CommandContext, kind: 'flash' | 'verify'): { job: DeviceJob; input: FirmwareInput } {
  const { values } = context;
  const addressText = stringOption(values, 'address');
  const baseAddress = addressText !== undefined ? parseAddressArgument('--address', addressText) : undefined;
  const altText = stringOption(values, 'alt');
  const alt = altText !== undefined ? parseAltArgument(altText) : undefined;
  const flashSizeBytes = flashSizeArgument(values);
  const program: ProgramOptions =
    kind === 'flash' ? programOptionsFrom(values) : { erase: 'none', verify: true, ...(flashSizeBytes !== undefined ? { flashSizeBytes } : {}) };
  const reportPath = stringOption(values, 'report');
  // Checked before any device is touched: a report that cannot be written is found now, not
  // after the boards were flashed.
  if (reportPath !== undefined) checkReportPaths(reportPath, context.io.cwd);
  checkDeviceOptions(values, context.io.env);
  const format = formatArgument(values);
  const input = readFirmwareInput(context.positionals[0]!, context.io.cwd, format !== undefined ? { format } : {});
  if (!input.needsBaseAddress && baseAddress !== undefined) {
    context.reporter.warning(`--address is ignored: ${input.fileName} is ${formatNames[input.format]} and carries its own addresses`);
  }
  const isMulti = flagOption(values, 'all') || flagOption(values, 'watch');
  return {
    input,
    job: {
      kind,
      input,
      ...(baseAddress !== undefined && input.needsBaseAddress ? { baseAddress } : {}),
      ...(alt ? { alt } : {}),
      program,
      confirmed: confirmedFrom(values, kind === 'flash' ? FLASH_CONFIRMATIONS : VERIFY_CONFIRMATIONS),
      planOnly: flagOption(values, 'plan'),
      ...(reportPath !== undefined ? { reportPath } : {}),
      isMulti,
      ...(isMulti ? { board: {} } : {}),
    },
  };
}

/** Runs the job on the selected devices (in parallel) and builds the command outcome. */
export async function runOnSelectedDevices(context: CommandContext, job: DeviceJob, input: FirmwareInput): Promise<CommandOutcome> {
  const { reporter } = context;
  reporter.text(`Image    ${input.fileName}: ${formatNames[input.format]}, ${formatCount(input.bytes.length)} bytes, SHA-256 ${input.sha256}`);
  const access = await openDeviceAccess(context.values, context.io);
  let outcomes: DeviceOutcome[];
  try {
    const devices = await chooseDevices(access, context.values);
    // Every board is described first (no DFU request yet), so the first one in device order is the
    // kind of board the run is for, however the parallel jobs interleave.
    const described = await Promise.all(devices.map((device) => openDevice(access, device).catch((error: unknown) => toDfuError(error))));
    const first = described.find((entry) => !(entry instanceof Error));
    if (job.board && first && !(first instanceof Error)) job.board.target = boardTargetOf(first.info);
    outcomes = await Promise.all(
      devices.map(async (device, index) => {
        const entry = described[index]!;
        const outcome = entry instanceof Error ? failedOutcome(device, entry) : await runDeviceJob(context, access, device, job, entry);
        reporter.record({ type: 'device-result', ...outcomeJson(outcome) }, job.isMulti ? outcomeLine(outcome, job.kind) : undefined);
        return outcome;
      }),
    );
  } finally {
    access.close();
  }
  const exitCode = combineExitCodes(outcomes.map((outcome) => outcome.exitCode));
  const passed = outcomes.filter((outcome) => outcome.exitCode === ExitCode.ok).length;
  if (job.isMulti) reporter.text(`${passed} of ${outcomes.length} device${outcomes.length === 1 ? '' : 's'} passed`);
  else if (exitCode === ExitCode.ok && !job.planOnly) {
    const outcome = outcomes[0]!;
    const files = outcome.reportFiles.length ? `; report: ${outcome.reportFiles.join(', ')}` : '';
    reporter.text(`${job.kind === 'flash' ? 'Flashed' : 'Verified'} ${input.fileName} on ${outcome.summary.serialNumber ?? outcome.summary.path} in ${(outcome.elapsedMs / 1000).toFixed(2)} s${files}`);
  }
  return boardsOutcome(input, outcomes, { planOnly: job.planOnly });
}

async function run(context: CommandContext): Promise<CommandOutcome> {
  const { job, input } = prepareImageJob(context, 'flash');
  if (flagOption(context.values, 'watch')) {
    if (job.planOnly) throw usageError('--plan', 'cannot be combined with --watch');
    return runStation(context, job, input);
  }
  if (stringOption(context.values, 'boards') !== undefined) throw usageError('--boards', 'only makes sense with --watch');
  return runOnSelectedDevices(context, job, input);
}

export const flashCommand: Command = { spec, run };
