import { crc32 } from '../bytes.js';
import { MemoryImage } from '../image/memoryImage.js';
import { planImage } from '../dfuse/plan.js';
import { buildDescriptors } from '../simulator/descriptorBuilder.js';
import { capturedDescriptors as captured } from '../testing/fixtures/descriptors.js';
import { describeDevice } from '../usb/descriptors.js';
import type { DfuTransport } from '../usb/transport.js';
import {
  buildFlashReport,
  crc32Within,
  renderReportJson,
  reportDeviceOf,
  reportPlanOf,
  reportRegionsOf,
  sectorRuns,
  type FlashReportInput,
} from './flashReport.js';
import { renderReportHtml } from './renderHtml.js';
import { renderReportMarkdown } from './renderMarkdown.js';

// The founding case (reference §7.3): 66,748 bytes at 0x08000000 on an STM32L073, 128-byte pages.
const FLASH = 0x08000000;
const imageBytes = Uint8Array.from({ length: 66_748 }, (_, i) => (i * 7 + 3) & 0xff);
const eeprom = Uint8Array.from([1, 2, 3, 4]);
const image = MemoryImage.fromBlocks([
  { start: FLASH, data: imageBytes },
  { start: 0x08080000, data: eeprom },
]);
const sectors = Array.from({ length: 522 }, (_, index) => ({ index, start: FLASH + index * 128, end: FLASH + (index + 1) * 128 }));

function input(overrides: Partial<FlashReportInput> = {}): FlashReportInput {
  return {
    tool: { version: '1.2.3', interface: 'cli' },
    operation: 'flash',
    startedAt: Date.UTC(2024, 0, 2, 3, 4, 5),
    finishedAt: Date.UTC(2024, 0, 2, 3, 4, 7, 250),
    device: { id: 'sim:1', vendorId: 0x0483, productId: 0xdf11, bcdDevice: 0x2200, path: 'sim-1', serialNumber: '3868388E3137', family: 'L0', isSimulated: true },
    image: { fileName: 'blinky_l073.hex', sha256: 'AB'.repeat(32), format: 'intel-hex', fileSizeBytes: 187_796, image },
    regions: [
      { alternate: 0, name: 'Internal Flash', range: { start: FLASH, end: FLASH + 1536 * 128 } },
      { alternate: 2, name: 'DATA Memory', range: { start: 0x08080000, end: 0x08081800 } },
    ],
    plans: [{ alternate: 0, region: 'Internal Flash', eraseMode: 'touched', isDifferential: false, sectors, bytesToWrite: 66_816, estimatedMs: 1834.4, warnings: [] }],
    timings: [
      { phase: 'erase', elapsedMs: 1210.4, bytes: 66_816 },
      { phase: 'write', elapsedMs: 700, bytes: 66_816 },
      { phase: 'verify', elapsedMs: 300, bytes: 66_748 },
    ],
    verification: { isMatch: true, bytesCompared: 66_752, mismatchCount: 0, mismatchRanges: [], diagnosis: { kind: 'match' } },
    warnings: [],
    ...overrides,
  };
}

describe('sectorRuns', () => {
  it('groups consecutive sectors and splits at gaps', () => {
    const runs = sectorRuns([
      { index: 5, start: 0x100, end: 0x180 },
      { index: 0, start: 0x000, end: 0x080 },
      { index: 1, start: 0x080, end: 0x100 },
      { index: 7, start: 0x200, end: 0x280 },
    ]);
    expect(runs).toEqual([
      { firstSector: 0, sectorCount: 2, start: 0x000, end: 0x100 },
      { firstSector: 5, sectorCount: 1, start: 0x100, end: 0x180 },
      { firstSector: 7, sectorCount: 1, start: 0x200, end: 0x280 },
    ]);
  });
});

describe('crc32Within', () => {
  it('hashes only the image bytes inside the range, gaps excluded', () => {
    const sparse = MemoryImage.fromBlocks([
      { start: 0x10, data: Uint8Array.of(1, 2) },
      { start: 0x20, data: Uint8Array.of(3) },
      { start: 0x40, data: Uint8Array.of(9) },
    ]);
    expect(crc32Within(sparse, { start: 0x11, end: 0x30 })).toEqual({ bytes: 2, crc32: crc32(Uint8Array.of(2, 3)) });
    expect(crc32Within(sparse, { start: 0x50, end: 0x60 })).toEqual({ bytes: 0, crc32: crc32(new Uint8Array(0)) });
  });
});

describe('buildFlashReport', () => {
  it('records the founding L073 flash: identity, hash, CRC per region, the 522 erased pages as one run, timings', () => {
    const report = buildFlashReport(input());
    expect(report.result).toBe('passed');
    expect(report.startedAt).toBe('2024-01-02T03:04:05.000Z');
    expect(report.durationMs).toBe(2250);
    expect(report.image.sha256).toBe('ab'.repeat(32));
    expect(report.image.sizeBytes).toBe(66_752);
    expect(report.image.blocks).toEqual([
      { start: FLASH, end: FLASH + 66_748, crc32: crc32(imageBytes) },
      { start: 0x08080000, end: 0x08080004, crc32: crc32(eeprom) },
    ]);
    expect(report.regions.map((r) => [r.name, r.imageBytes, r.crc32])).toEqual([
      ['Internal Flash', 66_748, crc32(imageBytes)],
      ['DATA Memory', 4, crc32(eeprom)],
    ]);
    expect(report.plans[0]!.sectorsErased).toBe(522);
    expect(report.plans[0]!.sectorRuns).toEqual([{ firstSector: 0, sectorCount: 522, start: FLASH, end: FLASH + 522 * 128 }]);
    expect(report.plans[0]!.estimatedMs).toBe(1834);
    expect(report.timings[0]).toEqual({ phase: 'erase', elapsedMs: 1210, bytes: 66_816 });
    expect(JSON.parse(renderReportJson(report))).toEqual(report);
  });

  it('fails on a verification mismatch and keeps the diagnosis and a bounded list of ranges', () => {
    const ranges = Array.from({ length: 40 }, (_, i) => ({ start: FLASH + 4 + i * 128, end: FLASH + 8 + i * 128 }));
    const report = buildFlashReport(
      input({
        verification: {
          isMatch: false,
          bytesCompared: 66_748,
          mismatchCount: 160,
          mismatchRanges: ranges,
          firstMismatch: FLASH + 4,
          diagnosis: { kind: 'not-erased', message: 'data equals the previous content: these pages were not erased' },
        },
      }),
    );
    expect(report.result).toBe('failed');
    expect(report.verification.mismatchCount).toBe(160);
    expect(report.verification.mismatchRanges).toHaveLength(32);
    expect(report.verification.diagnosis?.kind).toBe('not-erased');
  });

  it('fails with the error and its message when the operation failed', () => {
    const report = buildFlashReport(input({ verification: undefined, error: { kind: 'device-gone', during: 'write' } }));
    expect(report.result).toBe('failed');
    expect(report.verification).toEqual({ performed: false });
    expect(report.error).toEqual({ kind: 'device-gone', during: 'write', message: 'device disconnected during write' });
  });
});

describe('report input from a device and its plans', () => {
  const l073 = describeDevice({
    summary: { id: 'usb:1-4', vendorId: 0x0483, productId: 0xdf11, bcdDevice: 0x2200, path: '1-4', isSimulated: false },
    descriptors: buildDescriptors({
      vendorId: 0x0483,
      productId: 0xdf11,
      bcdDevice: 0x2200,
      manufacturer: 'STMicroelectronics',
      product: 'STM32  BOOTLOADER',
      serial: '3868388E3137',
      alternateNames: [captured.l07xFlash.descriptor, captured.l07xOptionBytes.descriptor, captured.l07xDataMemory.descriptor],
      attributes: 0x0b,
      detachTimeoutMs: 255,
      transferSize: 2048,
    }),
    interfaceNumber: 0,
    transport: {} as DfuTransport,
  });

  it('reportDeviceOf keeps the identity in the report order and leaves out strings the device lacks', () => {
    expect(Object.entries(reportDeviceOf(l073))).toEqual([
      ['id', 'usb:1-4'],
      ['vendorId', 0x0483],
      ['productId', 0xdf11],
      ['bcdDevice', 0x2200],
      ['path', '1-4'],
      ['serialNumber', '3868388E3137'],
      ['manufacturer', 'STMicroelectronics'],
      ['product', 'STM32  BOOTLOADER'],
      ['family', l073.family],
      ['isSimulated', false],
    ]);
    const anonymous = Object.keys(reportDeviceOf({ ...l073, serialNumber: undefined, manufacturer: undefined }));
    expect(anonymous).toEqual(['id', 'vendorId', 'productId', 'bcdDevice', 'path', 'product', 'family', 'isSimulated']);
  });

  it('reportRegionsOf and reportPlanOf name each planned region with its range and keep warnings as text', () => {
    const plans = planImage(image, l073, { erase: 'touched', verify: true });
    expect(reportRegionsOf(l073, plans)).toEqual([
      { alternate: 0, name: 'Internal Flash', range: { start: FLASH, end: FLASH + 1536 * 128 } },
      { alternate: 2, name: 'DATA Memory', range: { start: 0x08080000, end: 0x08081800 } },
    ]);
    expect(reportRegionsOf(l073, [])).toEqual([]);
    const flash = reportPlanOf(plans[0]!);
    expect(flash).toMatchObject({ alternate: 0, region: 'Internal Flash', eraseMode: 'touched', isDifferential: false, bytesToWrite: plans[0]!.bytesToWrite });
    expect(flash.sectors).toHaveLength(522);
    expect(flash.warnings).toEqual(plans[0]!.warnings.map((warning) => warning.message));
  });
});

describe('readable renderings', () => {
  it('Markdown names the device, hash, erased sectors, CRCs and the verdict', () => {
    const text = renderReportMarkdown(buildFlashReport(input()));
    expect(text).toContain('**PASSED: verified: 65.2 KiB equal to the image**');
    expect(text).toContain('| VID:PID | 0483:DF11 |');
    expect(text).toContain('| Bootloader version | 0x2200 |');
    expect(text).toContain(`| SHA-256 | ${'ab'.repeat(32)} |`);
    expect(text).toContain('522 sectors: 0-521 (522 sectors, 0x08000000-0x08010500)');
    expect(text).toContain(`| 0 | Internal Flash | 0x08000000-0x08030000 | 66748 | 0x${crc32(imageBytes).toString(16).toUpperCase().padStart(8, '0')} |`);
    expect(text).toContain('| erase | 1.21 s | 66816 |');
    expect(text).toContain('blinky\\_l073.hex');
  });

  it('Markdown shows the diagnosis of a failed verification', () => {
    const text = renderReportMarkdown(
      buildFlashReport(
        input({
          verification: {
            isMatch: false,
            bytesCompared: 8,
            mismatchCount: 4,
            mismatchRanges: [{ start: FLASH + 4, end: FLASH + 8 }],
            firstMismatch: FLASH + 4,
            diagnosis: { kind: 'not-erased', message: 'these pages were not erased' },
          },
        }),
      ),
    );
    expect(text).toContain('**FAILED: these pages were not erased**');
    expect(text).toContain('| First mismatch | 0x08000004 |');
  });

  it('HTML is self-contained and escapes file names', () => {
    const html = renderReportHtml(buildFlashReport(input({ image: { ...input().image, fileName: '<script>x</script>.hex' } })));
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).not.toContain('<script>');
    expect(html).toContain('&lt;script&gt;x&lt;/script&gt;.hex');
    expect(html).toContain('class="verdict passed"');
    expect(html).not.toMatch(/(src|href)=/);
  });
});
