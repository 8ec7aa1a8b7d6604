// dfu-util against DFU Desk on the same simulated bootloader, through real libusb on the virtual
// USB bus (usb-harness/, docs/virtual-usb.md). Both flash the same image onto a fresh device of the
// same profile with the profile's real operation timings on a real clock; verification is timed on
// its own because dfu-util does not verify. Target (issue 16): DFU Desk at most 0.5x dfu-util's wall time;
// the floor ratio (DFU Desk's device floor over dfu-util's wall time) says where no host could reach it.
// Run: npm run bench:usb   (node --import tsx bench/usb.bench.ts [stm32l073|stm32f405 ...])
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { previousFirmware, SimulatedDevice } from '../core/simulator/device.js';
import { profiles } from '../core/simulator/profiles.js';
import { xorshiftBytes } from '../core/simulator/pseudoRandom.js';
import { realClock } from '../node/realClock.js';
import { UsbClient } from '../usb-harness/clientProcess.js';
import { dfuUtilVersion, runDfuUtil } from '../usb-harness/dfuUtil.js';
import { harnessAvailability } from '../usb-harness/hostBuild.js';
import { VirtualUsbHost } from '../usb-harness/virtualUsbHost.js';

const FLASH = 0x08000000;

export interface UsbBenchCase {
  readonly profile: string;
  readonly imageBytes: number;
  /**
   * What the board holds before: 'old-app' the simulator's 48 KiB previous application (the
   * default board in DFU mode; the rest of the flash reads blank), 'full' old data in every sector
   * (a re-flash: DFU Desk's blank check then saves nothing and costs a read per sector).
   */
  readonly board: 'old-app' | 'full';
}

/** L073: its whole 192 KB flash; F405: 1 MB, every sector; each on both boards. */
export const defaultCases: readonly UsbBenchCase[] = [
  { profile: 'stm32l073', imageBytes: 192 * 1024, board: 'old-app' },
  { profile: 'stm32f405', imageBytes: 1024 * 1024, board: 'old-app' },
  { profile: 'stm32l073', imageBytes: 192 * 1024, board: 'full' },
  { profile: 'stm32f405', imageBytes: 1024 * 1024, board: 'full' },
];

export interface UsbBenchRow {
  readonly profile: string;
  readonly imageBytes: number;
  readonly board: UsbBenchCase['board'];
  readonly tool: 'dfu-util' | 'DFU Desk';
  /** Erase + write. dfu-util: the whole process; DFU Desk: open (descriptors, claim) + program. */
  readonly wallMs: number;
  /** DFU class requests the device received (simulator count). */
  readonly controlTransfers: number;
  /** Simulated erase/program/wire time: the least any host could need for the same work. */
  readonly deviceFloorMs: number;
  /** DFU Desk's wall time divided by dfu-util's, on the DFU Desk row. */
  readonly ratio?: number;
  /** DFU Desk's device floor divided by dfu-util's wall time: the best ratio any host could reach for the same work. */
  readonly floorRatio?: number;
  /** DFU Desk's separate read-back verification. */
  readonly verifyMs?: number;
  readonly isCorrect: boolean;
  readonly note: string;
}

function freshDevice(profileId: string, board: UsbBenchCase['board']): SimulatedDevice {
  const profile = profiles[profileId];
  if (!profile) throw new Error(`no simulator profile ${profileId}`);
  // Real time; the libusb client's timeout is the one that counts (docs/virtual-usb.md §5).
  const device = new SimulatedDevice({ profile, clock: realClock, hostTimeoutMs: 120_000 });
  if (board === 'full') {
    const flash = device.memory(0);
    device.poke(FLASH, previousFirmware(`${profileId}-full`, flash.length));
  }
  return device;
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((value, i) => value === b[i]);
}

export async function runUsbBench(options: { cases?: readonly UsbBenchCase[]; log?: (line: string) => void } = {}): Promise<UsbBenchRow[]> {
  const log = options.log ?? (() => undefined);
  const availability = harnessAvailability();
  if (!availability.ok) throw new Error(`virtual USB unavailable: ${availability.reason}`);
  if (dfuUtilVersion() === null) throw new Error('dfu-util is not installed (apt install dfu-util)');
  const host = await VirtualUsbHost.start();
  const client = await UsbClient.start(host);
  const dir = mkdtempSync(join(tmpdir(), 'dfu-desk-usb-bench-'));
  const rows: UsbBenchRow[] = [];
  try {
    for (const benchCase of options.cases ?? defaultCases) {
      const data = xorshiftBytes(benchCase.imageBytes, 0x2545f491);
      const file = join(dir, `${benchCase.profile}.bin`);
      writeFileSync(file, data);

      log(`${benchCase.profile} (${benchCase.board}): dfu-util ${benchCase.imageBytes} B ...`);
      const forDfuUtil = freshDevice(benchCase.profile, benchCase.board);
      const pluggedForDfuUtil = await host.plug(forDfuUtil);
      forDfuUtil.resetStats();
      // No :leave for either tool: the measured work is erase + write (DFU Desk verifies after).
      const run = await runDfuUtil(host, ['-a', '0', '-s', `0x${FLASH.toString(16)}`, '-D', file], { timeoutMs: 600_000 });
      if (run.code !== 0) throw new Error(`dfu-util failed (${run.code}): ${run.stderr}`);
      const dfuUtilRow: UsbBenchRow = {
        profile: benchCase.profile,
        imageBytes: benchCase.imageBytes,
        board: benchCase.board,
        tool: 'dfu-util',
        wallMs: run.wallMs,
        controlTransfers: forDfuUtil.stats.controlTransfers,
        deviceFloorMs: forDfuUtil.stats.floorMs,
        isCorrect: equal(forDfuUtil.peek(FLASH, data.length), data) && forDfuUtil.violations.length === 0,
        note: `dfu-util ${dfuUtilVersion()}: erases every touched page/sector, set-address before each chunk, sleeps every bwPollTimeout`,
      };
      rows.push(dfuUtilRow);
      await host.unplug(pluggedForDfuUtil.id);

      log(`${benchCase.profile} (${benchCase.board}): DFU Desk ${benchCase.imageBytes} B ...`);
      const forDesk = freshDevice(benchCase.profile, benchCase.board);
      const pluggedForDesk = await host.plug(forDesk);
      forDesk.resetStats();
      const id = `usb:1-${pluggedForDesk.id}`;
      const outcome = await client.call('program', id, { blocks: [{ start: FLASH, data }], options: { erase: 'touched', verify: false } });
      const wallMs = outcome.openMs + outcome.programMs;
      const deskTransfers = forDesk.stats.controlTransfers;
      const deskFloorMs = forDesk.stats.floorMs;
      const programViolations = [...forDesk.violations];
      const isWritten = equal(forDesk.peek(FLASH, data.length), data);
      log(`${benchCase.profile}: DFU Desk verify ...`);
      const checked = await client.call('verify', id, [{ start: FLASH, data }]);
      const verifyViolations = forDesk.violations.slice(programViolations.length);
      rows.push({
        profile: benchCase.profile,
        imageBytes: benchCase.imageBytes,
        board: benchCase.board,
        tool: 'DFU Desk',
        wallMs,
        controlTransfers: deskTransfers,
        deviceFloorMs: deskFloorMs,
        ratio: wallMs / dfuUtilRow.wallMs,
        floorRatio: deskFloorMs / dfuUtilRow.wallMs,
        verifyMs: checked.verifyMs,
        isCorrect: isWritten && programViolations.length === 0 && checked.report.isMatch,
        note:
          `NodeUsbBus + DfuseSession (adaptive polling, per-run addressing); ${outcome.sectorsErased} sectors erased, ${outcome.sectorsBlank} read blank and left alone, slept ${Math.round(outcome.sleptMs)} ms` +
          (programViolations.length ? `; violations while programming: ${programViolations.join('; ')}` : '') +
          (verifyViolations.length ? `; violations while verifying: ${verifyViolations.join('; ')}` : ''),
      });
      await host.unplug(pluggedForDesk.id);
    }
  } finally {
    await client.stop();
    await host.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}

export function formatUsbBenchTable(rows: readonly UsbBenchRow[]): string {
  const header = ['profile', 'board', 'image', 'tool', 'wall', 'transfers', 'device floor', 'ratio', 'floor ratio', 'verify (separate)', 'correct'];
  const lines = rows.map((row) => [
    row.profile,
    row.board === 'full' ? 'full flash' : '48 KiB app',
    `${Math.round(row.imageBytes / 1024)} KiB`,
    row.tool,
    `${(row.wallMs / 1000).toFixed(2)} s`,
    String(row.controlTransfers),
    `${(row.deviceFloorMs / 1000).toFixed(2)} s`,
    row.ratio !== undefined ? `${row.ratio.toFixed(2)}x` : '',
    row.floorRatio !== undefined ? `${row.floorRatio.toFixed(2)}x` : '',
    row.verifyMs !== undefined ? `${(row.verifyMs / 1000).toFixed(2)} s` : row.tool === 'dfu-util' ? 'does not verify' : '',
    row.isCorrect ? 'yes' : 'NO',
  ]);
  const widths = header.map((title, i) => Math.max(title.length, ...lines.map((line) => line[i]!.length)));
  const format = (cells: readonly string[]) => `| ${cells.map((cell, i) => cell.padEnd(widths[i]!)).join(' | ')} |`;
  return [format(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...lines.map(format)].join('\n');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const only = process.argv.slice(2);
  const cases = only.length ? defaultCases.filter((c) => only.includes(c.profile)) : defaultCases;
  const availability = harnessAvailability();
  if (!availability.ok || dfuUtilVersion() === null) {
    console.log(`bench:usb skipped: ${availability.ok ? 'dfu-util is not installed' : availability.reason}`);
    process.exit(0);
  }
  const rows = await runUsbBench({ cases, log: (line) => console.log(line) });
  console.log(`\n${formatUsbBenchTable(rows)}\n`);
  for (const row of rows) console.log(`${row.profile} (${row.board}) ${row.tool}: ${row.note}`);
  const allCorrect = rows.every((row) => row.isCorrect);
  for (const row of rows.filter((r) => r.ratio !== undefined)) {
    const verdict = row.ratio! <= 0.5 ? 'met' : row.floorRatio! > 0.5 ? 'NOT met (the device floor alone is above 0.5x)' : 'NOT met';
    console.log(`target (DFU Desk <= 0.5x dfu-util) on ${row.profile} (${row.board}): ${row.ratio!.toFixed(2)}x, ${verdict}`);
  }
  console.log(`results ${allCorrect ? 'correct' : 'WRONG'}`);
  process.exit(allCorrect ? 0 : 1);
}
