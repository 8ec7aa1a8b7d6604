// The readable form of a flash report as neutral content (headings, key/value lists, tables), so
// the Markdown and HTML renderings say exactly the same thing and only differ in markup.
import { formatAddress, formatBcd, formatCrc, formatDuration, formatSize, formatUsbId } from '../format.js';
import { describe } from '../errors.js';
import type { FlashReport, SectorRun } from './flashReport.js';

export type ReportSection =
  | { readonly kind: 'fields'; readonly heading: string; readonly fields: readonly (readonly [string, string])[] }
  | { readonly kind: 'table'; readonly heading: string; readonly headers: readonly string[]; readonly rows: readonly (readonly string[])[] }
  | { readonly kind: 'list'; readonly heading: string; readonly items: readonly string[] };

export interface ReportDocument {
  readonly title: string;
  /** "PASSED" / "FAILED" plus the one-line reason. */
  readonly verdict: string;
  readonly isPassed: boolean;
  readonly sections: readonly ReportSection[];
}




/** "0-521 (522 sectors, 0x08000000-0x08010500)" */
export function formatSectorRun(run: SectorRun): string {
  const indexes = run.sectorCount === 1 ? `${run.firstSector}` : `${run.firstSector}-${run.firstSector + run.sectorCount - 1}`;
  const noun = run.sectorCount === 1 ? 'sector' : 'sectors';
  return `${indexes} (${run.sectorCount} ${noun}, ${formatAddress(run.start)}-${formatAddress(run.end)})`;
}

export function buildReportDocument(report: FlashReport): ReportDocument {
  const device = report.device;
  const isPassed = report.result === 'passed';
  const reason = report.error
    ? describe(report.error)
    : report.verification.performed
      ? report.verification.isMatch
        ? `verified: ${formatSize(report.verification.bytesCompared ?? 0)} equal to the image`
        : (report.verification.diagnosis?.message ?? 'verification failed')
      : 'not verified (verification was turned off)';
  const sections: ReportSection[] = [
    {
      kind: 'fields',
      heading: 'Device',
      fields: [
        ['VID:PID', formatUsbId(device.vendorId, device.productId)],
        ['Serial number', device.serialNumber ?? '(none)'],
        ['Bootloader version', formatBcd(device.bcdDevice)],
        ['USB path', device.path],
        ...(device.product ? [['Product', device.product] as const] : []),
        ...(device.family ? [['Family', `STM32${device.family}`] as const] : []),
        ...(device.isSimulated ? [['Simulated', 'yes (built-in simulator, not real hardware)'] as const] : []),
      ],
    },
    {
      kind: 'fields',
      heading: 'Image',
      fields: [
        ['File', report.image.fileName],
        ['SHA-256', report.image.sha256],
        ['Format', report.image.format],
        ['Size', `${report.image.sizeBytes} bytes in ${report.image.blocks.length} block(s) (file ${report.image.fileSizeBytes} bytes)`],
        ['CRC-32', formatCrc(report.image.crc32)],
        ...(report.image.entryAddress !== undefined ? [['Entry', formatAddress(report.image.entryAddress)] as const] : []),
      ],
    },
    {
      kind: 'table',
      heading: 'Regions',
      headers: ['Alt', 'Region', 'Range', 'Image bytes', 'CRC-32'],
      rows: report.regions.map((region) => [
        String(region.alternate),
        region.name,
        `${formatAddress(region.start)}-${formatAddress(region.end)}`,
        String(region.imageBytes),
        formatCrc(region.crc32),
      ]),
    },
  ];
  for (const plan of report.plans) {
    const erase =
      plan.eraseMode === 'mass'
        ? 'mass erase'
        : plan.eraseMode === 'none'
          ? 'no erase'
          : (plan.sectorsErased === 0 ? 'no sector needed erasing' : `${plan.sectorsErased} sectors: ${plan.sectorRuns.map(formatSectorRun).join(', ')}`) +
            (plan.sectorsBlank > 0 ? `; ${plan.sectorsBlank} more read blank and were left alone` : '');
    sections.push({
      kind: 'fields',
      heading: `Plan: ${plan.region} (alt ${plan.alternate})`,
      fields: [
        ['Erase', erase],
        ['Mode', `${plan.eraseMode}${plan.isDifferential ? ', differential' : ''}${plan.preserveRanges.length > 0 ? ', preserving data outside the image' : ''}`],
        ['Bytes to write', String(plan.bytesToWrite)],
        ['Estimated time', formatDuration(plan.estimatedMs)],
        ...plan.warnings.map((warning) => ['Warning', warning] as const),
      ],
    });
  }
  sections.push({
    kind: 'table',
    heading: 'Timings',
    headers: ['Phase', 'Time', 'Bytes'],
    rows: [...report.timings.map((t) => [t.phase, formatDuration(t.elapsedMs), String(t.bytes)]), ['total', formatDuration(report.durationMs), '']],
  });
  const v = report.verification;
  sections.push({
    kind: 'fields',
    heading: 'Verification',
    fields: v.performed
      ? [
          ['Result', v.isMatch ? 'match' : 'MISMATCH'],
          ['Bytes compared', String(v.bytesCompared ?? 0)],
          ...(v.isMatch
            ? []
            : [
                ['Bytes differing', String(v.mismatchCount ?? 0)] as const,
                ...(v.firstMismatch !== undefined ? [['First mismatch', formatAddress(v.firstMismatch)] as const] : []),
                ['Ranges', (v.mismatchRanges ?? []).map((r) => `${formatAddress(r.start)}-${formatAddress(r.end)}`).join(', ')] as const,
                ...(v.diagnosis?.message ? [['Diagnosis', v.diagnosis.message] as const] : []),
              ]),
        ]
      : [['Result', 'not performed']],
  });
  if (report.warnings.length > 0) sections.push({ kind: 'list', heading: 'Warnings', items: report.warnings });
  if (report.error) {
    sections.push({ kind: 'fields', heading: 'Error', fields: [['Kind', report.error.kind], ['Message', report.error.message]] });
  }
  sections.push({
    kind: 'fields',
    heading: 'Run',
    fields: [
      ['Tool', `dfu-desk ${report.tool.version} (${report.tool.interface})`],
      ['Started', report.startedAt],
      ['Finished', report.finishedAt],
    ],
  });
  return {
    title: `DFU Desk ${report.operation} report: ${report.image.fileName} on ${device.serialNumber ?? device.path}`,
    verdict: `${isPassed ? 'PASSED' : 'FAILED'}: ${reason}`,
    isPassed,
    sections,
  };
}
