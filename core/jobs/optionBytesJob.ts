// The option-byte editor's write (CLI `options --set`, the app's Option bytes tab): changes by field
// id, all in one block (the device resets after each block), encoded by core/dfuse/optionBytes.ts.
// The confirmations come from what the block becomes, not from what a front end thinks a value
// means: RDP level 2 is 0xCC on most families and does not exist on F1.
import { formatAddress } from '../format.js';
import { decodeOptionBytes, encodeOptionBytes, lockoutRisks, type DecodedOptionBytes, type LockoutRisk, type OptionContext, type OptionField } from '../dfuse/optionBytes.js';
import { mainFlashOf } from '../dfuse/regionRole.js';
import type { DeviceInfo } from '../usb/descriptors.js';
import type { DfuseSession } from '../dfuse/session.js';
import type { ResetOutcome } from '../dfuse/resetOperations.js';
import { DfuError } from '../errors.js';
import { checkConfirmed, confirmation, type Confirmation } from './confirmations.js';
import type { RunOptions } from './flashJob.js';

export interface OptionBytesFieldChange {
  readonly id: string;
  readonly label: string;
  readonly from: number;
  readonly to: number;
  /** The values in words, as the table shows them: "Software watchdog (started by firmware)". */
  readonly fromMeaning: string;
  readonly toMeaning: string;
}

export interface OptionBytesWritePlan {
  readonly address: number;
  readonly raw: Uint8Array;
  readonly changes: readonly OptionBytesFieldChange[];
  /** The block as it reads after the write. */
  readonly after: DecodedOptionBytes;
  readonly confirmations: readonly Confirmation[];
}

/** What decoding needs to know about the device: its main flash (sector names, F42x-only bits). */
export function optionContextOf(info: DeviceInfo): OptionContext {
  const flash = mainFlashOf(info);
  return flash ? { flash: flash.layout.region } : {};
}

/**
 * The blocks read from the device, decoded with what the device says about its flash: write
 * protection by sector name and address, and the bits that exist only on some parts of a family
 * (STM32F42x SPRMOD) editable only where the layout shows that part. Both front ends show and edit
 * these, never the bare blocks a session reads.
 */
export function optionBytesOfDevice(blocks: readonly DecodedOptionBytes[], info: DeviceInfo): DecodedOptionBytes[] {
  const context = optionContextOf(info);
  return blocks.map((block) => decodeOptionBytes(block.family, block.address, block.raw, context));
}

/** The risks of a write in one sentence each, for the 'option-lockout' confirmation. */
export function lockoutConsequence(risks: readonly LockoutRisk[]): string {
  const irreversible = risks.some((risk) => risk.isIrreversible) ? 'NOT REVERSIBLE over DFU: ' : '';
  return `${irreversible}${risks.map((risk) => risk.consequence).join('; ')}`;
}

/** The block and field a change names (by id or label, case-insensitive). */
export function findOptionField(blocks: readonly DecodedOptionBytes[], name: string): { block: DecodedOptionBytes; field: OptionField } | undefined {
  const wanted = name.toLowerCase();
  for (const block of blocks) {
    const field = block.fields.find((f) => f.id.toLowerCase() === wanted || f.bitName.toLowerCase() === wanted || f.label.toLowerCase() === wanted);
    if (field) return { block, field };
  }
  return undefined;
}

/**
 * Plans a write of `changes` (field id or label -> value) into the block that holds them. Throws
 * DfuError 'option-bytes' for unknown, read-only or out-of-range fields and for changes spread
 * over several blocks. Fields already at their value are not listed as changes. `blocks` come from
 * optionBytesOfDevice and `context` from optionContextOf, so the result reads like the device.
 * Confirmations: RDP level 2 ('permanent-lock'), RDP 1 -> 0 ('read-unprotect') and whatever the
 * layout's lock-out guards find ('option-lockout').
 */
export function prepareOptionBytesWrite(blocks: readonly DecodedOptionBytes[], changes: Readonly<Record<string, number>>, context: OptionContext = {}): OptionBytesWritePlan {
  const entries = Object.entries(changes);
  if (entries.length === 0) throw new DfuError({ kind: 'invalid-argument', argument: 'changes', reason: 'no option-byte field to change' });
  const resolved = entries.map(([name, value]) => {
    const found = findOptionField(blocks, name);
    if (!found) {
      const editable = blocks.flatMap((b) => b.fields.filter((f) => f.editable).map((f) => f.id));
      throw new DfuError({ kind: 'invalid-argument', argument: 'changes', reason: `no option-byte field "${name}" on this device (editable: ${editable.join(', ') || 'none'})` });
    }
    return { ...found, value };
  });
  const block = resolved[0]!.block;
  if (resolved.some((r) => r.block !== block)) {
    throw new DfuError({
      kind: 'invalid-argument',
      argument: 'changes',
      reason: 'the fields are in different option-byte blocks; the device resets after each block, so change one block per write',
    });
  }
  // Encoded with every confirmation granted: what needs one is decided below from the result, and
  // checked again before anything is sent (runOptionBytesWrite, DfuseSession.writeOptionBytes).
  const raw = encodeOptionBytes(block, Object.fromEntries(resolved.map((r) => [r.field.id, r.value])), { permanentlyLockChip: true, iUnderstandTheFlashIsErased: true });
  const after = decodeOptionBytes(block.family, block.address, raw, context);
  const confirmations: Confirmation[] = [];
  const risks = lockoutRisks(after, block);
  if (risks.length > 0) confirmations.push(confirmation('option-lockout', lockoutConsequence(risks)));
  if (after.hasRdp && after.rdpLevel === 2 && block.rdpLevel !== 2) {
    confirmations.push(confirmation('permanent-lock', 'read protection level 2 disables debug and the DFU bootloader for good: the chip can never be reprogrammed over USB again'));
  }
  if (block.hasRdp && block.rdpLevel === 1 && after.rdpLevel === 0) {
    confirmations.push(confirmation('read-unprotect', 'lowering read protection from level 1 to 0 mass-erases the flash'));
  }
  return {
    address: block.address,
    raw,
    changes: resolved
      .filter((r) => r.field.value !== r.value)
      .map((r) => ({
        id: r.field.id,
        label: r.field.label,
        from: r.field.value,
        to: r.value,
        fromMeaning: r.field.meaning,
        toMeaning: after.fields.find((f) => f.id === r.field.id)?.meaning ?? String(r.value),
      })),
    after,
    confirmations,
  };
}

/** Writes a planned block (the device resets afterwards). Refuses while a confirmation is missing. */
/**
 * What a reset-style operation ended in, in words, for the CLI and the app alike. 'reset': the
 * device left the bus to apply the change; 'no-reset': it answered with a status and stayed (newer
 * bootloaders): the change applies at the chip's next reset, which the user must cause.
 */
export function resetEndingText(operation: 'option-bytes' | 'read-unprotect', outcome: ResetOutcome): string {
  if (operation === 'option-bytes') {
    return outcome === 'reset'
      ? 'Option bytes written; the device resets to apply them'
      : 'Option bytes written; the bootloader did not reset, so they apply at the next reset: power-cycle the board (or reset it) to load them';
  }
  return outcome === 'reset'
    ? 'Read protection removed; the flash was mass-erased and the device reset'
    : 'Read unprotect accepted without a reset: the chip keeps its current protection until its next reset; power-cycle the board, then check the read protection again';
}

export async function runOptionBytesWrite(session: DfuseSession, plan: OptionBytesWritePlan, run: RunOptions): Promise<ResetOutcome> {
  checkConfirmed(plan.confirmations, run.confirmed);
  if (plan.changes.length === 0) {
    throw new DfuError({ kind: 'invalid-argument', argument: 'changes', reason: `nothing to change at ${formatAddress(plan.address)}: every field already has that value` });
  }
  return session.writeOptionBytes(plan.raw, plan.address, { ...(run.signal ? { signal: run.signal } : {}), confirmed: run.confirmed });
}
