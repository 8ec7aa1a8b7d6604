// The one-click remedy for a failed verification, chosen from main's diagnosis (core/image/diff.ts)
// and what was done: un-erased sectors are flashed again with an erase, other firmware is replaced,
// a raw binary placed a few bytes off is opened again where the board has its bytes.
import { formatAddress } from '../../../core/format.js';
import type { ImageSummary, JobResult, ProgramOptions } from '../../../core/contract/programmer.js';

export type Remedy =
  | { readonly kind: 'flash'; readonly label: string; readonly why: string; readonly options?: Partial<ProgramOptions> }
  | { readonly kind: 'rebase'; readonly label: string; readonly why: string; readonly baseAddress: number };

/** Undefined when no single action is known to help (or nothing failed). */
export function remedyFor(result: JobResult | undefined, image: ImageSummary | undefined, options: ProgramOptions | undefined): Remedy | undefined {
  const report = result?.verify;
  if (!report || report.isMatch || !image) return undefined;
  const diagnosis = report.diagnosis;
  switch (diagnosis.kind) {
    case 'not-erased':
      return {
        kind: 'flash',
        label: 'Flash again with erase',
        why: 'erases every sector the image touches first, then writes and verifies the whole image',
        // Differential skipped the erase of sectors it believed unchanged, the blank check those that
        // read blank; erase 'none' skipped all.
        options: { erase: options?.erase === 'mass' ? 'mass' : 'touched', differential: false, skipBlankSectors: false },
      };
    case 'different-firmware':
    case 'not-flashed':
      return { kind: 'flash', label: `Flash ${image.fileName}`, why: `replaces what the board holds with ${image.fileName}` };
    case 'partial':
    case 'write-did-not-land':
    case 'missing':
      // "Erases": every touched sector, also one that reads blank.
      return { kind: 'flash', label: 'Flash again', why: 'erases, writes and verifies again', options: { differential: false, skipBlankSectors: false } };
    case 'shifted': {
      // Only a raw binary's place is a choice; a file with addresses was built for its own.
      if (!image.rawBase || !image.token) return undefined;
      const baseAddress = image.rawBase.address + diagnosis.offset;
      if (baseAddress < 0) return undefined;
      return { kind: 'rebase', label: `Open at ${formatAddress(baseAddress)}`, why: `places ${image.fileName} where the board holds its bytes`, baseAddress };
    }
    default:
      return undefined;
  }
}
