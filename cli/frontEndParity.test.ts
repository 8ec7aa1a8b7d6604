// The CLI and the app plan the same: for one device and one file, `dfu-desk flash FILE --plan
// --json` and the app service's planProgram() (what the Flash tab shows) come from the same job
// layer, so they must agree on every region, sector, byte count, warning and confirmation.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bootloaderKey } from '../core/dfuse/bootloaderKey.js';
import type { ProgramOptions } from '../core/dfuse/plan.js';
import { writeIntelHex } from '../core/image/intelHex.js';
import { MemoryImage } from '../core/image/memoryImage.js';
import { nonErasedBytes } from '../core/simulator/pseudoRandom.js';
import { setup } from '../electron/main/testing/serviceHarness.js';
import { repoRoot, runCliProcess } from './testing/cliProcess.js';
import { writeFoundingFiles } from './testing/foundingImage.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>;

interface ParityCase {
  readonly name: string;
  readonly profile: string;
  readonly file: () => string;
  readonly options: ProgramOptions;
  readonly cliOptions: readonly string[];
  /** The real flash size: --flash-size for the CLI, the saved size for the app. */
  readonly flashSizeBytes?: number;
}

const fixture = (name: string) => join(repoRoot, 'core/testing/fixtures/firmware', name);
let folder: string;
const written = (name: string, content: Uint8Array | string) => () => {
  const path = join(folder, name);
  writeFileSync(path, content);
  return path;
};

const cases: readonly ParityCase[] = [
  { name: 'the founding HEX on an STM32L073', profile: 'stm32l073', file: () => writeFoundingFiles().hex, options: { erase: 'touched', verify: true }, cliOptions: [] },
  { name: 'a two-target .dfu on an STM32L073', profile: 'stm32l073', file: () => fixture('blinky.dfu'), options: { erase: 'touched', verify: true }, cliOptions: [] },
  {
    name: 'a raw binary on an STM32F405 with preserve and leave',
    profile: 'stm32f405',
    file: () => fixture('blinky-flash.bin'),
    options: { erase: 'touched', verify: true, preserve: true, leave: true },
    cliOptions: ['--preserve', '--leave'],
  },
  {
    name: 'OTP bytes on an STM32F405',
    profile: 'stm32f405',
    file: () =>
      written(
        'otp.hex',
        writeIntelHex(MemoryImage.fromBytes(0x08000000, nonErasedBytes(600, 1)).join(MemoryImage.fromBytes(0x1fff7800, new Uint8Array(16).fill(0x42)))),
      )(),
    options: { erase: 'touched', verify: true },
    cliOptions: [],
  },
  {
    name: 'a mass erase under a 128 KiB flash size on an STM32L072xB',
    profile: 'stm32l072xb',
    file: () => fixture('blinky.hex'),
    options: { erase: 'mass', verify: true },
    cliOptions: ['--erase', 'mass'],
    flashSizeBytes: 128 * 1024,
  },
  {
    name: 'a differential flash on an STM32H743',
    profile: 'stm32h743',
    file: () => written('h7.hex', writeIntelHex(MemoryImage.fromBytes(0x08020010, nonErasedBytes(70_000, 2))))(),
    options: { erase: 'touched', verify: true, differential: true },
    cliOptions: ['--differential'],
  },
];

beforeAll(() => {
  folder = writeFoundingFiles().folder;
});

/** Every warning but the data-loss ones, which the app words after reading the sector. */
type WarningLike = { readonly kind?: unknown; readonly message?: unknown };

function withoutDataLoss(warnings: readonly WarningLike[]): WarningLike[] {
  return warnings.filter((warning) => warning.kind !== 'destroys-data').map(({ kind, message }) => ({ kind, message }));
}

/** The sectors a data-loss warning names (from its message: "sector 521 [...)"). */
function lossSectors(warnings: readonly WarningLike[]): number[] {
  return warnings.filter((warning) => warning.kind === 'destroys-data').map((warning) => Number(/^sector (\d+)/.exec(String(warning.message))?.[1]));
}

describe('the CLI and the app service plan the same', () => {
  for (const testCase of cases) {
    it(testCase.name, async () => {
      const path = testCase.file();
      const cli = await runCliProcess([
        'flash',
        path,
        '--plan',
        '--json',
        '--simulate',
        testCase.profile,
        ...testCase.cliOptions,
        ...(testCase.flashSizeBytes !== undefined ? ['--flash-size', String(testCase.flashSizeBytes)] : []),
      ]);
      expect(cli.code, cli.stderr).toBe(0);
      const cliDevice = (cli.result as Json).devices[0] as Json;

      const { service, snapshot } = await setup({ spec: testCase.profile });
      if (testCase.flashSizeBytes !== undefined) {
        await service.updateSettings({ flashSizeLimits: { [bootloaderKey((await snapshot()).device!)]: testCase.flashSizeBytes } });
      }
      await service.openImage({ kind: 'bytes', fileName: path.slice(path.lastIndexOf('/') + 1), bytes: new Uint8Array(readFileSync(path)) });
      const app = await service.planProgram(testCase.options);

      const fromCli = (cliDevice.plans as Json[]).map((plan) => ({
        alternate: plan.alternate,
        region: plan.region,
        eraseMode: plan.eraseMode,
        sectors: plan.sectors,
        bytesToWrite: plan.bytesToWrite,
        verifyRanges: plan.verifyRanges,
        preserveRanges: plan.preserveRanges,
        estimatedMs: plan.estimatedMs,
        warnings: withoutDataLoss(plan.warnings as Json[]),
        // --plan touches nothing: every partly covered sector "may hold data".
        lossSectors: lossSectors(plan.warnings as Json[]),
      }));
      const fromApp = app.plans.map((plan) => ({
        alternate: plan.alternate,
        region: plan.region,
        eraseMode: plan.eraseMode,
        sectors: plan.sectors,
        bytesToWrite: plan.bytesToWrite,
        verifyRanges: plan.verifyRanges,
        preserveRanges: plan.preserveRanges,
        estimatedMs: Math.round(plan.estimatedMs),
        warnings: withoutDataLoss(plan.warnings.map(({ kind, message }) => ({ kind, message }))),
        // The app read those sectors first: the blank ones lose nothing and are not warned about.
        lossSectors: [...lossSectors(plan.warnings), ...(plan.partialSectors ?? []).filter((p) => p.state === 'blank').map((p) => p.index)].sort((a, b) => a - b),
      }));
      expect(fromApp.length).toBeGreaterThan(0);
      if (testCase.options.differential || testCase.options.preserve) {
        // `--plan` touches nothing, so it plans a full write "until read"; the app's preview reads
        // what the plan needs first (as the job would) and is complete. What a read cannot change
        // must still agree, and the app's plan must need no further read.
        const fixed = (plans: readonly Json[]) => plans.map(({ alternate, region, eraseMode, preserveRanges }) => ({ alternate, region, eraseMode, preserveRanges }));
        expect(fixed(fromApp)).toEqual(fixed(fromCli));
        expect(fromApp.flatMap((plan) => plan.warnings.map((warning) => warning.kind))).not.toContain('needs-read');
        expect(fromCli.flatMap((plan) => plan.warnings.map((warning) => warning.kind))).toContain(testCase.options.differential ? 'needs-read' : 'preserving');
      } else {
        expect(fromApp).toEqual(fromCli);
      }
      expect(app.confirmations.map((c) => [c.kind, c.consequence])).toEqual((cliDevice.confirmations as Json[]).map((c) => [c.kind, c.consequence]));
    });
  }
});
