// The flash report: one record per board for traceability on production lines (which image, by
// hash, went onto which device, what was erased, how long it took, whether it verified). Pure: the
// caller hashes the file (SHA-256 needs node:crypto or WebCrypto, which core does not use) and passes
// times in; the CLI's --report and the app's "Save report" both build it here.
import { concatBytes, crc32 } from '../bytes.js';
import { describe, type DfuErrorInfo } from '../errors.js';
import type { AddressRange, MemoryImage } from '../image/memoryImage.js';
import type { Phase } from '../contract/programmer.js';
import { regionRange } from '../dfuse/memoryLayout.js';
import type { ProgramPlan } from '../dfuse/plan.js';
import type { DeviceInfo } from '../usb/descriptors.js';

export const FLASH_REPORT_SCHEMA = 'dfu-desk/flash-report@1';

export interface ReportDevice {
  readonly id: string;
  readonly vendorId: number;
  readonly productId: number;
  /** Bootloader version (bcdDevice), e.g. 0x2200. */
  readonly bcdDevice: number;
  readonly path: string;
  readonly serialNumber?: string;
  readonly manufacturer?: string;
  readonly product?: string;
  readonly family?: string;
  readonly isSimulated: boolean;
}

export interface ReportPlanInput {
  readonly alternate: number;
  readonly region: string;
  readonly eraseMode: 'touched' | 'mass' | 'none';
  readonly isDifferential: boolean;
  /** Sectors erased (a plan's sectors less those that read blank and were left alone). */
  readonly sectors: readonly { readonly index: number; readonly start: number; readonly end: number }[];
  /** Sectors of the plan that read blank and were not erased (ProgramPlan.blankCheck). */
  readonly sectorsBlank?: number;
  readonly bytesToWrite: number;
  readonly estimatedMs: number;
  readonly preserveRanges?: readonly AddressRange[];
  readonly warnings: readonly string[];
}

export interface ReportVerificationInput {
  readonly isMatch: boolean;
  readonly bytesCompared: number;
  readonly mismatchCount: number;
  readonly mismatchRanges: readonly AddressRange[];
  readonly firstMismatch?: number;
  readonly diagnosis: { readonly kind: string; readonly message?: string };
}

export interface FlashReportInput {
  readonly tool: { readonly version: string; readonly interface: 'cli' | 'app' };
  readonly operation: 'flash' | 'verify';
  /** Epoch milliseconds. */
  readonly startedAt: number;
  readonly finishedAt: number;
  readonly device: ReportDevice;
  readonly image: {
    readonly fileName: string;
    /** Lower-case hex SHA-256 of the file as read from disk. */
    readonly sha256: string;
    readonly format: string;
    readonly fileSizeBytes: number;
    readonly image: MemoryImage;
    readonly entryAddress?: number;
  };
  /** The device regions the image was written to (or compared with), with their address ranges. */
  readonly regions: readonly { readonly alternate: number; readonly name: string; readonly range: AddressRange }[];
  readonly plans: readonly ReportPlanInput[];
  readonly timings: readonly { readonly phase: Phase; readonly elapsedMs: number; readonly bytes: number }[];
  /** Absent when verification was not run (--no-verify). */
  readonly verification?: ReportVerificationInput;
  readonly warnings: readonly string[];
  /** Absent on success. */
  readonly error?: DfuErrorInfo;
}

/** A run of consecutive sectors: `sectorCount` sectors from index `firstSector`, covering [start, end). */
export interface SectorRun {
  readonly firstSector: number;
  readonly sectorCount: number;
  readonly start: number;
  readonly end: number;
}

/** Mismatching ranges kept in the report; the count is always exact. */
export const REPORT_MISMATCH_RANGES_LIMIT = 32;

export interface FlashReport {
  readonly schema: typeof FLASH_REPORT_SCHEMA;
  readonly tool: { readonly name: 'dfu-desk'; readonly version: string; readonly interface: 'cli' | 'app' };
  readonly operation: 'flash' | 'verify';
  readonly result: 'passed' | 'failed';
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly durationMs: number;
  readonly device: ReportDevice;
  readonly image: {
    readonly fileName: string;
    readonly sha256: string;
    readonly format: string;
    readonly fileSizeBytes: number;
    readonly sizeBytes: number;
    readonly entryAddress?: number;
    readonly crc32: number;
    readonly blocks: readonly { readonly start: number; readonly end: number; readonly crc32: number }[];
  };
  /** CRC-32 (zlib) of the image bytes inside each region, in address order, gaps excluded. */
  readonly regions: readonly {
    readonly alternate: number;
    readonly name: string;
    readonly start: number;
    readonly end: number;
    readonly imageBytes: number;
    readonly crc32: number;
  }[];
  readonly plans: readonly {
    readonly alternate: number;
    readonly region: string;
    readonly eraseMode: 'touched' | 'mass' | 'none';
    readonly isDifferential: boolean;
    readonly sectorsErased: number;
    /** Sectors the plan would erase that read blank and were left alone. */
    readonly sectorsBlank: number;
    readonly sectorRuns: readonly SectorRun[];
    readonly bytesToWrite: number;
    readonly estimatedMs: number;
    readonly preserveRanges: readonly AddressRange[];
    readonly warnings: readonly string[];
  }[];
  readonly timings: readonly { readonly phase: Phase; readonly elapsedMs: number; readonly bytes: number }[];
  readonly verification: {
    readonly performed: boolean;
    readonly isMatch?: boolean;
    readonly bytesCompared?: number;
    readonly mismatchCount?: number;
    readonly mismatchRanges?: readonly AddressRange[];
    readonly firstMismatch?: number;
    readonly diagnosis?: { readonly kind: string; readonly message?: string };
  };
  readonly warnings: readonly string[];
  readonly error?: DfuErrorInfo & { readonly message: string };
}

/** The report's identity of a connected device (optional strings only when the device has them). */
export function reportDeviceOf(info: DeviceInfo): ReportDevice {
  return {
    id: info.id,
    vendorId: info.vendorId,
    productId: info.productId,
    bcdDevice: info.bcdDevice,
    path: info.path,
    ...(info.serialNumber !== undefined ? { serialNumber: info.serialNumber } : {}),
    ...(info.manufacturer !== undefined ? { manufacturer: info.manufacturer } : {}),
    ...(info.product !== undefined ? { product: info.product } : {}),
    family: info.family,
    isSimulated: info.isSimulated,
  };
}

/** The region each plan writes to (or compares with), in plan order; alt settings without a layout are left out. */
export function reportRegionsOf(info: DeviceInfo, plans: readonly ProgramPlan[]): FlashReportInput['regions'] {
  return plans.flatMap((plan) => {
    const layout = info.alternates.find((alternate) => alternate.alternate === plan.alternate)?.layout;
    return layout ? [{ alternate: plan.alternate, name: layout.region.name, range: regionRange(layout.region) }] : [];
  });
}

/**
 * What the report keeps of a plan: the plan warnings as their messages, and the sectors it erased
 * (without `blankSectors`, the indexes that read blank and were left alone, once it ran).
 */
export function reportPlanOf(plan: ProgramPlan, blankSectors: readonly number[] = []): ReportPlanInput {
  const blank = new Set(blankSectors);
  return {
    alternate: plan.alternate,
    region: plan.region,
    eraseMode: plan.eraseMode,
    isDifferential: plan.isDifferential,
    sectors: blank.size ? plan.sectors.filter((sector) => !blank.has(sector.index)) : plan.sectors,
    sectorsBlank: blank.size,
    bytesToWrite: plan.bytesToWrite,
    estimatedMs: plan.estimatedMs,
    preserveRanges: plan.preserveRanges,
    warnings: plan.warnings.map((warning) => warning.message),
  };
}

/** Groups ascending sectors into runs of consecutive indexes. */
export function sectorRuns(sectors: readonly { readonly index: number; readonly start: number; readonly end: number }[]): SectorRun[] {
  const runs: SectorRun[] = [];
  for (const sector of [...sectors].sort((a, b) => a.index - b.index)) {
    const last = runs[runs.length - 1];
    if (last && sector.index === last.firstSector + last.sectorCount && sector.start === last.end) {
      runs[runs.length - 1] = { ...last, sectorCount: last.sectorCount + 1, end: sector.end };
    } else {
      runs.push({ firstSector: sector.index, sectorCount: 1, start: sector.start, end: sector.end });
    }
  }
  return runs;
}

/** CRC-32 of the image bytes inside `range`, in address order, gaps excluded. */
export function crc32Within(image: MemoryImage, range: AddressRange): { bytes: number; crc32: number } {
  const joined = concatBytes(image.slice(range).blocks.map((block) => block.data));
  return { bytes: joined.length, crc32: crc32(joined) };
}

export function buildFlashReport(input: FlashReportInput): FlashReport {
  const { image } = input.image;
  const verification = input.verification;
  const passed = input.error === undefined && (verification === undefined || verification.isMatch);
  const whole = crc32Within(image, { start: 0, end: 0x1_0000_0000 });
  return {
    schema: FLASH_REPORT_SCHEMA,
    tool: { name: 'dfu-desk', version: input.tool.version, interface: input.tool.interface },
    operation: input.operation,
    result: passed ? 'passed' : 'failed',
    startedAt: new Date(input.startedAt).toISOString(),
    finishedAt: new Date(input.finishedAt).toISOString(),
    durationMs: Math.max(0, Math.round(input.finishedAt - input.startedAt)),
    device: { ...input.device },
    image: {
      fileName: input.image.fileName,
      sha256: input.image.sha256.toLowerCase(),
      format: input.image.format,
      fileSizeBytes: input.image.fileSizeBytes,
      sizeBytes: image.size,
      ...(input.image.entryAddress !== undefined ? { entryAddress: input.image.entryAddress } : {}),
      crc32: whole.crc32,
      blocks: image.blocks.map((block) => ({ start: block.start, end: block.start + block.data.length, crc32: crc32(block.data) })),
    },
    regions: input.regions.map((region) => {
      const within = crc32Within(image, region.range);
      return { alternate: region.alternate, name: region.name, start: region.range.start, end: region.range.end, imageBytes: within.bytes, crc32: within.crc32 };
    }),
    plans: input.plans.map((plan) => ({
      alternate: plan.alternate,
      region: plan.region,
      eraseMode: plan.eraseMode,
      isDifferential: plan.isDifferential,
      sectorsErased: plan.sectors.length,
      sectorsBlank: plan.sectorsBlank ?? 0,
      sectorRuns: sectorRuns(plan.sectors),
      bytesToWrite: plan.bytesToWrite,
      estimatedMs: Math.round(plan.estimatedMs),
      preserveRanges: (plan.preserveRanges ?? []).map((range) => ({ start: range.start, end: range.end })),
      warnings: [...plan.warnings],
    })),
    timings: input.timings.map((timing) => ({ phase: timing.phase, elapsedMs: Math.round(timing.elapsedMs), bytes: timing.bytes })),
    verification: verification
      ? {
          performed: true,
          isMatch: verification.isMatch,
          bytesCompared: verification.bytesCompared,
          mismatchCount: verification.mismatchCount,
          mismatchRanges: verification.mismatchRanges.slice(0, REPORT_MISMATCH_RANGES_LIMIT).map((r) => ({ start: r.start, end: r.end })),
          ...(verification.firstMismatch !== undefined ? { firstMismatch: verification.firstMismatch } : {}),
          diagnosis: { kind: verification.diagnosis.kind, ...(verification.diagnosis.message ? { message: verification.diagnosis.message } : {}) },
        }
      : { performed: false },
    warnings: [...input.warnings],
    ...(input.error ? { error: { ...input.error, message: describe(input.error) } } : {}),
  };
}

/** The report as pretty-printed JSON (stable key order: the order of FlashReport). */
export function renderReportJson(report: FlashReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}
