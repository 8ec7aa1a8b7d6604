// `dfu-desk options`: read and decode the option bytes; with --set FIELD=VALUE, change fields and
// write them back (the device resets afterwards, AN2662). RDP level 2 is permanent, so it is
// refused unless --permanently-lock-chip is given.
import { formatAddress } from '../../core/bytes.js';
import { encodeOptionBytes, type DecodedOptionBytes, type OptionField } from '../../core/dfuse/optionBytes.js';
import { commonOptions, deviceOptions, flagOption, stringListOption, usageError, type CommandSpec } from '../args.js';
import type { Command, CommandContext, CommandOutcome } from '../context.js';
import { checkDeviceOptions } from '../devices/deviceAccess.js';
import { ExitCode } from '../exitCodes.js';
import { formatTable } from '../output/table.js';
import { withOneDevice } from './deviceCommand.js';

const spec: CommandSpec = {
  name: 'options',
  summary: 'Read and decode the option bytes; change fields with --set FIELD=VALUE (the device resets).',
  positionals: [],
  options: {
    ...commonOptions,
    ...deviceOptions,
    set: { type: 'string', multiple: true, value: 'FIELD=VALUE', description: 'change a field (repeatable); VALUE is a number or a choice label' },
    'permanently-lock-chip': { type: 'boolean', description: 'allow RDP level 2: debug and the DFU bootloader are disabled FOR GOOD' },
    yes: { type: 'boolean', short: 'y', description: 'allow lowering RDP from level 1 to 0 (this erases all flash)' },
  },
  notes: ['Examples:', '  dfu-desk options', '  dfu-desk options --set nBOOT1=0 --set WDG_SW=1'],
};

export interface OptionChange {
  readonly field: string;
  readonly text: string;
}

export function parseSetArgument(text: string): OptionChange {
  const equals = text.indexOf('=');
  if (equals <= 0 || equals === text.length - 1) throw usageError('--set', `'${text}' is not FIELD=VALUE`);
  return { field: text.slice(0, equals).trim(), text: text.slice(equals + 1).trim() };
}

function findField(blocks: readonly DecodedOptionBytes[], name: string): { block: DecodedOptionBytes; field: OptionField } | undefined {
  const wanted = name.toLowerCase();
  for (const block of blocks) {
    const field = block.fields.find((f) => f.id.toLowerCase() === wanted || f.label.toLowerCase() === wanted);
    if (field) return { block, field };
  }
  return undefined;
}

/** A number (hex or decimal) or one of the field's choice labels. */
function fieldValue(field: OptionField, text: string): number {
  if (/^(0x[0-9a-f]+|[0-9]+)$/i.test(text)) return Number(text);
  const choice = field.choices?.find((c) => c.label.toLowerCase() === text.toLowerCase());
  if (choice) return choice.value;
  const labels = field.choices?.map((c) => `"${c.label}"`).join(', ');
  throw usageError('--set', `'${text}' is not a value of ${field.id}${labels ? ` (use a number or one of ${labels})` : ' (use a number)'}`);
}

function valueText(field: OptionField, value: number): string {
  const label = field.choices?.find((c) => c.value === value)?.label;
  const hex = `0x${value.toString(16).toUpperCase()}`;
  return label ? `${hex} (${label})` : field.kind === 'flag' ? String(value) : hex;
}

function blockText(block: DecodedOptionBytes): string {
  const rows = block.fields.map((f) => [f.id, f.label, valueText(f, f.value), f.editable ? '' : 'read-only', f.location]);
  const lines = [
    `${block.layout} at ${formatAddress(block.address)}${block.hasRdp ? `, read protection level ${block.rdpLevel}` : ''}`,
    formatTable(['field', 'label', 'value', '', 'location'], rows, '  '),
  ];
  for (const warning of block.warnings) lines.push(`  warning: ${warning}`);
  return lines.join('\n');
}

export function blockJson(block: DecodedOptionBytes): Record<string, unknown> {
  return {
    address: block.address,
    layout: block.layout,
    raw: Array.from(block.raw, (b) => b.toString(16).padStart(2, '0')).join(''),
    rdpLevel: block.rdpLevel,
    hasRdp: block.hasRdp,
    fields: block.fields.map((f) => ({ id: f.id, label: f.label, group: f.group, value: f.value, kind: f.kind, editable: f.editable, location: f.location, description: f.description, ...(f.choices ? { choices: f.choices } : {}) })),
    warnings: block.warnings,
  };
}

function run(context: CommandContext): Promise<CommandOutcome> {
  const changes = stringListOption(context.values, 'set').map(parseSetArgument);
  const permanentlyLockChip = flagOption(context.values, 'permanently-lock-chip');
  const iUnderstandTheFlashIsErased = flagOption(context.values, 'yes');
  checkDeviceOptions(context.values, context.io.env);
  return withOneDevice(context, {
    run: async ({ session }) => {
      const blocks = await session.readAllOptionBytes({ signal: context.io.signal });
      context.reporter.text(blocks.map(blockText).join('\n\n'));
      if (changes.length === 0) {
        return { exitCode: ExitCode.ok, result: { family: session.info.family, blocks: blocks.map(blockJson) } };
      }
      const resolved = changes.map((change) => {
        const found = findField(blocks, change.field);
        if (!found) {
          const known = blocks.flatMap((b) => b.fields.filter((f) => f.editable).map((f) => f.id));
          throw usageError('--set', `no option-byte field "${change.field}" on this device (editable: ${known.join(', ') || 'none'})`);
        }
        return { ...found, value: fieldValue(found.field, change.text) };
      });
      const block = resolved[0]!.block;
      if (resolved.some((r) => r.block !== block)) {
        throw usageError('--set', 'the fields are in different option-byte blocks; the device resets after each block, so change one block per run');
      }
      const raw = encodeOptionBytes(
        block,
        Object.fromEntries(resolved.map((r) => [r.field.id, r.value])),
        { permanentlyLockChip, iUnderstandTheFlashIsErased },
      );
      const changed = resolved.filter((r) => r.field.value !== r.value);
      if (changed.length === 0) {
        context.reporter.text('Nothing to change: every field already has that value');
        return { exitCode: ExitCode.ok, result: { family: session.info.family, blocks: blocks.map(blockJson), written: false } };
      }
      context.reporter.text(['', 'Writing:', ...changed.map((r) => `  ${r.field.id}: ${valueText(r.field, r.field.value)} -> ${valueText(r.field, r.value)}`)].join('\n'));
      await session.writeOptionBytes(raw, block.address, { signal: context.io.signal });
      context.reporter.text('Option bytes written; the device resets to apply them');
      return {
        exitCode: ExitCode.ok,
        result: {
          family: session.info.family,
          blocks: blocks.map(blockJson),
          written: true,
          changes: changed.map((r) => ({ field: r.field.id, from: r.field.value, to: r.value })),
        },
      };
    },
  });
}

export const optionsCommand: Command = {
  spec,
  run: (context) =>
    Promise.resolve().then(() => {
      // A malformed --set is a usage error before any device is opened.
      for (const text of stringListOption(context.values, 'set')) parseSetArgument(text);
      return run(context);
    }),
};
