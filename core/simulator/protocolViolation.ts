// Protocol misuse the simulator detects. Every violation is recorded on the device; the ones a
// real bootloader answers with a STALL are also thrown as a ProtocolViolation, which *is* a
// TransferError('stall') so the engine sees exactly what real hardware would give it.
import { TransferError } from '../usb/transport.js';

export type ViolationRule =
  | 'wrong-state' // request not allowed in the current DFU state (DFU 1.1 §A.2)
  | 'chunk-too-long' // DNLOAD longer than wTransferSize
  | 'upload-too-long' // UPLOAD wLength above wTransferSize
  | 'block-1' // wValue 1 is not used by DfuSe (AN3156: data starts at block 2)
  | 'block-sequence' // block n>2 after a block shorter than wTransferSize: the device's address formula leaves a gap
  | 'unaligned-erase' // erase address not at a sector start (strict profiles only; ST erases the containing sector)
  | 'write-unerased' // DNLOAD into flash/OTP that is not in the erased state: the founding failure
  | 'clrstatus-outside-error' // CLRSTATUS only belongs in dfuERROR (Betaflight: STM32C5 STALLs it)
  | 'abort-in-error' // ABORT cannot leave dfuERROR; CLRSTATUS does
  | 'leave-from-idle' // zero-length DNLOAD in dfuIDLE is an error per DFU 1.1 (strict only; ST accepts it)
  | 'wrong-alternate' // address belongs to another alt setting than the selected one
  | 'alternate-while-busy' // SET_INTERFACE in the middle of a download or upload
  | 'detach-in-dfu-mode' // DFU_DETACH is a run-time request
  | 'unknown-request' // bRequest that DFU does not define, or sent in the wrong direction
  | 'bad-command' // DfuSe command byte or length the bootloader does not know
  | 'closed'; // request on a handle after close()

export interface ViolationRecord {
  readonly rule: ViolationRule;
  readonly message: string;
  /** DFU state (bState) when it happened. */
  readonly state: number;
  /** Clock time. */
  readonly atMs: number;
}

export class ProtocolViolation extends TransferError {
  readonly rule: ViolationRule;

  constructor(rule: ViolationRule, message: string) {
    super('stall', `${rule}: ${message}`);
    this.name = 'ProtocolViolation';
    this.rule = rule;
  }
}
