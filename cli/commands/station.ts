// Station mode (`flash --watch`): a production-line loop. Every DFU device already attached and
// every one plugged in later is flashed once, in parallel with the others, with one result line
// per board; Ctrl-C (or --boards N) ends it with a tally. A board is known by its bus id, which
// changes on every re-plug, so the next board on the same port is flashed again.
import { parsePositiveNumber, stringOption, usageError } from '../args.js';
import type { CommandContext, CommandOutcome } from '../context.js';
import { openDeviceAccess } from '../devices/deviceAccess.js';
import { ExitCode } from '../exitCodes.js';
import type { FirmwareInput } from '../imageInput.js';
import { formatCount } from '../../core/format.js';
import type { UsbDeviceSummary } from '../../core/usb/transport.js';
import { boardsOutcome, outcomeJson, outcomeLine, runDeviceJob, type DeviceJob, type DeviceOutcome } from './deviceJob.js';

function positiveInteger(option: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const value = parsePositiveNumber(option, text);
  if (!Number.isInteger(value)) throw usageError(option, `'${text}' is not a whole number`);
  return value;
}

export async function runStation(context: CommandContext, job: DeviceJob, input: FirmwareInput): Promise<CommandOutcome> {
  const { reporter, io } = context;
  const boardLimit = positiveInteger('--boards', stringOption(context.values, 'boards'));
  const hotplugIntervalMs = stringOption(context.values, 'simulate-hotplug');
  const access = await openDeviceAccess(context.values, io, {
    ...(hotplugIntervalMs !== undefined ? { hotplugIntervalMs: parsePositiveNumber('--simulate-hotplug', hotplugIntervalMs) } : {}),
  });
  const seen = new Set<string>();
  const running = new Set<Promise<void>>();
  const outcomes: DeviceOutcome[] = [];
  let started = 0;
  let stop: () => void = () => undefined;
  const stopped = new Promise<void>((resolve) => (stop = resolve));
  io.signal.addEventListener('abort', () => stop(), { once: true });

  reporter.text(
    `Station: flashing ${input.fileName} (SHA-256 ${input.sha256.slice(0, 16)}...) onto every DFU device that appears${
      boardLimit !== undefined ? `, ${boardLimit} board${boardLimit === 1 ? '' : 's'}` : ''
    }. Ctrl-C stops.`,
  );

  const flash = (device: UsbDeviceSummary) => {
    if (seen.has(device.id) || io.signal.aborted || (boardLimit !== undefined && started >= boardLimit)) return;
    seen.add(device.id);
    started++;
    reporter.hotplug('attach', device.id);
    const task = runDeviceJob(context, access, device, job).then((outcome) => {
      outcomes.push(outcome);
      const passed = outcomes.filter((o) => o.exitCode === ExitCode.ok).length;
      reporter.record(
        { type: 'device-result', board: outcomes.length, ...outcomeJson(outcome) },
        `${outcomeLine(outcome, 'flash')}  (${passed} passed, ${outcomes.length - passed} failed)`,
      );
      if (boardLimit !== undefined && outcomes.length >= boardLimit) stop();
    });
    running.add(task);
    void task.finally(() => running.delete(task));
  };

  const unwatch = access.bus.watch((event) => {
    if (event.type === 'attach') flash(event.device);
    else if (seen.has(event.id)) reporter.hotplug('detach', event.id);
  });
  // A pending promise does not keep Node running; this timer does, until the station stops.
  const keepAlive = setInterval(() => undefined, 60_000);
  try {
    for (const device of await access.bus.list()) flash(device);
    access.startHotplug();
    await stopped;
    // Boards being flashed finish (or, after Ctrl-C, stop at their next safe point).
    while (running.size > 0) await Promise.all([...running]);
  } finally {
    clearInterval(keepAlive);
    unwatch();
    access.close();
  }

  const passed = outcomes.filter((outcome) => outcome.exitCode === ExitCode.ok).length;
  reporter.text(`Station stopped: ${formatCount(outcomes.length)} board${outcomes.length === 1 ? '' : 's'}, ${passed} passed, ${outcomes.length - passed} failed`);
  return boardsOutcome(input, outcomes, { boards: outcomes.length });
}
