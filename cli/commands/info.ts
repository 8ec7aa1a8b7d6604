// `dfu-desk info`: everything the engine knows about a device: strings, the DFU functional
// descriptor, every alt setting with its parsed region and the corrections made, the family guess.
import { formatAddress, formatBcd, formatUsbId } from '../../core/format.js';
import { regionRange } from '../../core/dfuse/memoryLayout.js';
import type { DeviceInfo } from '../../core/usb/descriptors.js';
import { commonOptions, deviceOptions, type CommandSpec } from '../args.js';
import type { Command, CommandContext, CommandOutcome } from '../context.js';
import { deviceIdentityJson } from '../devices/deviceSession.js';
import { ExitCode } from '../exitCodes.js';
import { formatSize } from '../../core/format.js';
import { withOneDevice } from './deviceCommand.js';
import { formatSegments, segmentJson } from './layout.js';
import { regionPolicyText } from '../../core/jobs/confirmations.js';

const spec: CommandSpec = {
  name: 'info',
  summary: 'Show everything known about a device: strings, DFU descriptor, regions with corrections, family guess.',
  positionals: [],
  options: { ...commonOptions, ...deviceOptions },
  notes: ['Example: dfu-desk info --device 3868388E3137'],
};


function bcdVersion(value: number): string {
  return `${value >> 8}.${(value & 0xff).toString(16).padStart(2, '0')}`;
}

export function infoText(info: DeviceInfo): string {
  const f = info.functional;
  const abilities = [f.canDownload && 'download', f.canUpload && 'upload', f.manifestationTolerant && 'manifestation tolerant', f.willDetach && 'will detach'].filter(Boolean);
  const lines = [
    `Device       ${info.id} at path ${info.path}${info.isSimulated ? ' (simulated)' : ''}`,
    `USB          ${formatUsbId(info.vendorId, info.productId)}, bootloader version (bcdDevice) ${formatBcd(info.bcdDevice)}`,
    `Manufacturer ${info.manufacturer ?? '-'}`,
    `Product      ${info.product ?? '-'}`,
    `Serial       ${info.serialNumber ?? '-'}`,
    `DFU          version ${bcdVersion(f.dfuVersion)}${f.dfuVersion === 0x011a ? ' (DfuSe)' : ''}, transfer size ${f.transferSize} B, detach timeout ${f.detachTimeoutMs} ms`,
    `             attributes 0x${f.attributes.toString(16).padStart(2, '0')}: ${abilities.join(', ') || 'none'}${f.source === 'default' ? ' (descriptor missing: defaults assumed)' : ''}`,
    `Family       ${info.family === 'unknown' ? 'unknown' : `STM32${info.family}`} (${info.familyReason})`,
  ];
  if (info.flashSizeBytes !== undefined) lines.push(`Flash size   ${formatSize(info.flashSizeBytes)} (flash-size register)`);
  if (info.quirks.length > 0) lines.push(`Quirks       ${info.quirks.join(', ')}`);
  for (const alt of info.alternates) {
    lines.push('', `Alt ${alt.alternate}: ${alt.name}`, `  descriptor ${JSON.stringify(alt.descriptor)}`, `  policy     ${regionPolicyText(info, alt.alternate)}`);
    if (alt.layout) {
      const range = regionRange(alt.layout.region);
      lines.push(`  range      ${formatAddress(range.start)} - ${formatAddress(range.end)}`, formatSegments(alt.layout.region, '  '));
      for (const warning of alt.layout.warnings) lines.push(`  correction: position ${warning.position}: ${warning.message}`);
    } else if (alt.error) {
      lines.push(`  not a DfuSe memory layout: ${alt.error.kind === 'layout-format' ? alt.error.reason : alt.error.kind}`);
    }
  }
  if (info.warnings.length > 0) lines.push('', 'Warnings:', ...info.warnings.map((warning) => `  ${warning}`));
  // Notes are facts, not problems (e.g. smaller parts send the same flash string: --flash-size).
  if ((info.notes?.length ?? 0) > 0) lines.push('', 'Notes:', ...(info.notes ?? []).map((note) => `  ${note}`));
  return lines.join('\n');
}

export function infoJson(info: DeviceInfo): Record<string, unknown> {
  return {
    ...deviceIdentityJson(info),
    manufacturer: info.manufacturer ?? null,
    functional: info.functional,
    familyReason: info.familyReason,
    quirks: info.quirks,
    ...(info.flashSizeBytes !== undefined ? { flashSizeBytes: info.flashSizeBytes } : {}),
    alternates: info.alternates.map((alt) => ({
      alternate: alt.alternate,
      name: alt.name,
      descriptor: alt.descriptor,
      role: alt.role,
      policy: regionPolicyText(info, alt.alternate),
      ...(alt.layout
        ? {
            region: { name: alt.layout.region.name, ...regionRange(alt.layout.region), segments: alt.layout.region.segments.map(segmentJson) },
            corrections: alt.layout.warnings,
          }
        : {}),
      ...(alt.error ? { error: alt.error } : {}),
    })),
    warnings: info.warnings,
    notes: info.notes ?? [],
  };
}

function run(context: CommandContext): Promise<CommandOutcome> {
  return withOneDevice(context, {
    run: ({ session }) => {
      context.reporter.text(infoText(session.info));
      return Promise.resolve({ exitCode: ExitCode.ok, result: { device: infoJson(session.info) } });
    },
  });
}

export const infoCommand: Command = { spec, run };
