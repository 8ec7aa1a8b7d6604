// `dfu-desk options`: read and decode the option bytes; with --set FIELD=VALUE, change fields and
// write them back (the device resets afterwards, AN2662). RDP level 2 is permanent, so it is
// refused unless --permanently-lock-chip is given.
import { formatAddress } from '../../core/format.js';
import type { DecodedOptionBytes, OptionField } from '../../core/dfuse/optionBytes.js';
import type { ConfirmationKind } from '../../core/errors.js';
import { findOptionField, optionBytesOfDevice, optionContextOf, prepareOptionBytesWrite, resetEndingText, runOptionBytesWrite } from '../../core/jobs/optionBytesJob.js';
import { commonOptions, confirmationOptions, confirmedFrom, deviceOptions, stringListOption, usageError, type CommandSpec } from '../args.js';
import type { Command, CommandContext, CommandOutcome } from '../context.js';
import { checkDeviceOptions } from '../devices/deviceAccess.js';
import { ExitCode } from '../exitCodes.js';
import { formatTable } from '../output/table.js';
import { withOneDevice } from './deviceCommand.js';

const OPTION_CONFIRMATIONS: readonly ConfirmationKind[] = ['option-lockout', 'permanent-lock', 'read-unprotect'];

const spec: CommandSpec = {
  name: 'options',
  summary: 'Read and decode the option bytes; change fields with --set FIELD=VALUE (the device resets).',
  positionals: [],
  options: {
    ...commonOptions,
    ...deviceOptions,
    set: { type: 'string', multiple: true, value: 'FIELD=VALUE', description: 'change a field (repeatable); VALUE is a number or a choice label' },
    ...confirmationOptions(OPTION_CONFIRMATIONS),
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

/** A number (hex or decimal) or one of the field's choice labels. */
function fieldValue(field: OptionField, text: string): number {
  if (/^(0x[0-9a-f]+|[0-9]+)$/i.test(text)) return Number(text);
  const choice = field.choices?.find((c) => c.label.toLowerCase() === text.toLowerCase());
  if (choice) return choice.value;
  const labels = field.choices?.map((c) => `"${c.label}"`).join(', ');
  throw usageError('--set', `'${text}' is not a value of ${field.id}${labels ? ` (use a number or one of ${labels})` : ' (use a number)'}`);
}

const hexOf = (value: number) => `0x${value.toString(16).toUpperCase()}`;

function blockText(block: DecodedOptionBytes): string {
  const rows = block.fields.map((f) => [f.id, f.bitName, hexOf(f.value), f.meaning, f.editable ? '' : 'read-only', f.location]);
  const lines = [
    `${block.layout} at ${formatAddress(block.address)}${block.hasRdp ? `, read protection level ${block.rdpLevel}` : ''}`,
    formatTable(['field', 'bit', 'value', 'meaning', '', 'location'], rows, '  '),
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
    fields: block.fields.map((f) => ({
      id: f.id,
      bitName: f.bitName,
      label: f.label,
      group: f.group,
      value: f.value,
      meaning: f.meaning,
      kind: f.kind,
      editable: f.editable,
      location: f.location,
      description: f.description,
      ...(f.choices ? { choices: f.choices } : {}),
      ...(f.units ? { units: f.units } : {}),
    })),
    warnings: block.warnings,
  };
}

function run(context: CommandContext): Promise<CommandOutcome> {
  const changes = stringListOption(context.values, 'set').map(parseSetArgument);
  const confirmed = confirmedFrom(context.values, OPTION_CONFIRMATIONS);
  checkDeviceOptions(context.values, context.io.env);
  return withOneDevice(context, {
    run: async ({ session }) => {
      const blocks = optionBytesOfDevice(await session.readAllOptionBytes({ signal: context.io.signal }), session.info);
      context.reporter.text(blocks.map(blockText).join('\n\n'));
      if (changes.length === 0) {
        return { exitCode: ExitCode.ok, result: { family: session.info.family, blocks: blocks.map(blockJson) } };
      }
      const values: Record<string, number> = {};
      for (const change of changes) {
        const found = findOptionField(blocks, change.field);
        if (!found) {
          const known = blocks.flatMap((b) => b.fields.filter((f) => f.editable).map((f) => f.id));
          throw usageError('--set', `no option-byte field "${change.field}" on this device (editable: ${known.join(', ') || 'none'})`);
        }
        values[found.field.id] = fieldValue(found.field, change.text);
      }
      const plan = prepareOptionBytesWrite(blocks, values, optionContextOf(session.info));
      if (plan.changes.length === 0) {
        context.reporter.text('Nothing to change: every field already has that value');
        return { exitCode: ExitCode.ok, result: { family: session.info.family, blocks: blocks.map(blockJson), written: false } };
      }
      context.reporter.text(['', 'Writing:', ...plan.changes.map((c) => `  ${c.label}: ${c.fromMeaning} (${hexOf(c.from)}) -> ${c.toMeaning} (${hexOf(c.to)})`)].join('\n'));
      const outcome = await runOptionBytesWrite(session, plan, { confirmed, signal: context.io.signal });
      context.reporter.text(resetEndingText('option-bytes', outcome));
      return {
        exitCode: ExitCode.ok,
        result: {
          family: session.info.family,
          blocks: blocks.map(blockJson),
          written: true,
          reset: outcome === 'reset',
          changes: plan.changes.map((c) => ({ field: c.id, from: c.from, to: c.to, fromMeaning: c.fromMeaning, toMeaning: c.toMeaning })),
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
