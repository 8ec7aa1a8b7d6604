// DfuSe command payloads: the bytes sent in a DNLOAD with wValue = 0 (AN3156 §6, AN2662 §4).
// The command runs on the GETSTATUS that follows, so encoding is kept apart from sequencing.
import { writeU32LE } from '../bytes.js';
import { formatAddress } from '../format.js';
import { DFUSE_ERASE, DFUSE_READ_UNPROTECT, DFUSE_SET_ADDRESS } from '../dfu/spec.js';
import { DfuError } from '../errors.js';

export type DfuseCommand =
  | { readonly kind: 'set-address'; readonly address: number }
  | { readonly kind: 'erase-page'; readonly address: number }
  | { readonly kind: 'mass-erase' }
  | { readonly kind: 'read-unprotect' }
  /** Not a command byte: "leave" is a zero-length DNLOAD after a set-address (AN3156 §6.4). */
  | { readonly kind: 'leave' };

export function encodeCommand(command: DfuseCommand): Uint8Array {
  switch (command.kind) {
    case 'set-address':
      return withAddress(DFUSE_SET_ADDRESS, command.address);
    case 'erase-page':
      // AN3156: 0x41 followed by an address erases the page/sector holding that address. We always
      // send the sector start (as webdfu and Betaflight do) so logs and the device agree.
      return withAddress(DFUSE_ERASE, command.address);
    case 'mass-erase':
      // AN3156: a one-byte 0x41 payload means "erase all user flash".
      return Uint8Array.of(DFUSE_ERASE);
    case 'read-unprotect':
      return Uint8Array.of(DFUSE_READ_UNPROTECT);
    case 'leave':
      return new Uint8Array(0);
  }
}

export const setAddressCommand = (address: number): Uint8Array => encodeCommand({ kind: 'set-address', address });
export const erasePageCommand = (address: number): Uint8Array => encodeCommand({ kind: 'erase-page', address });
export const massEraseCommand = (): Uint8Array => encodeCommand({ kind: 'mass-erase' });
export const readUnprotectCommand = (): Uint8Array => encodeCommand({ kind: 'read-unprotect' });
export const leaveCommand = (): Uint8Array => encodeCommand({ kind: 'leave' });

/** The inverse of encodeCommand, for logs and for anyone checking a captured payload. */
export function decodeCommand(payload: Uint8Array): DfuseCommand | undefined {
  if (payload.length === 0) return { kind: 'leave' };
  const address = payload.length === 5 ? ((payload[1]! | (payload[2]! << 8) | (payload[3]! << 16) | (payload[4]! << 24)) >>> 0) : undefined;
  switch (payload[0]) {
    case DFUSE_SET_ADDRESS:
      return address === undefined ? undefined : { kind: 'set-address', address };
    case DFUSE_ERASE:
      if (payload.length === 1) return { kind: 'mass-erase' };
      return address === undefined ? undefined : { kind: 'erase-page', address };
    case DFUSE_READ_UNPROTECT:
      return payload.length === 1 ? { kind: 'read-unprotect' } : undefined;
    default:
      return undefined;
  }
}

/** "set address 0x08000000", "erase page 0x08004000", "mass erase". */
export function describeCommand(command: DfuseCommand): string {
  switch (command.kind) {
    case 'set-address':
      return `set address ${formatAddress(command.address)}`;
    case 'erase-page':
      return `erase page ${formatAddress(command.address)}`;
    case 'mass-erase':
      return 'mass erase';
    case 'read-unprotect':
      return 'read unprotect';
    case 'leave':
      return 'leave';
  }
}

function withAddress(opcode: number, address: number): Uint8Array {
  if (!Number.isInteger(address) || address < 0 || address > 0xffffffff) {
    throw new DfuError({ kind: 'invalid-argument', argument: 'address', reason: `${address} is not a 32-bit address` });
  }
  const out = new Uint8Array(5);
  out[0] = opcode;
  writeU32LE(out, 1, address);
  return out;
}
