// USB DFU 1.1 (and ST DfuSe 1.1a) identifiers, spelled as in the specifications.

export const DFU_DETACH = 0;
export const DFU_DNLOAD = 1;
export const DFU_UPLOAD = 2;
export const DFU_GETSTATUS = 3;
export const DFU_CLRSTATUS = 4;
export const DFU_GETSTATE = 5;
export const DFU_ABORT = 6;

/** bState values, DFU 1.1 §6.1.2. */
export const DfuState = {
  appIDLE: 0,
  appDETACH: 1,
  dfuIDLE: 2,
  dfuDNLOAD_SYNC: 3,
  dfuDNBUSY: 4,
  dfuDNLOAD_IDLE: 5,
  dfuMANIFEST_SYNC: 6,
  dfuMANIFEST: 7,
  dfuMANIFEST_WAIT_RESET: 8,
  dfuUPLOAD_IDLE: 9,
  dfuERROR: 10,
} as const;
export type DfuStateValue = (typeof DfuState)[keyof typeof DfuState];

/** bStatus values, DFU 1.1 §6.1.2. Unknown codes are kept as numbers, never collapsed. */
export const DfuStatus = {
  OK: 0x00,
  errTARGET: 0x01,
  errFILE: 0x02,
  errWRITE: 0x03,
  errERASE: 0x04,
  errCHECK_ERASED: 0x05,
  errPROG: 0x06,
  errVERIFY: 0x07,
  errADDRESS: 0x08,
  errNOTDONE: 0x09,
  errFIRMWARE: 0x0a,
  errVENDOR: 0x0b,
  errUSBR: 0x0c,
  errPOR: 0x0d,
  errUNKNOWN: 0x0e,
  errSTALLEDPKT: 0x0f,
} as const;

/** DFU functional descriptor type (DFU 1.1 §4.1.3). */
export const DFU_FUNCTIONAL_DESCRIPTOR_TYPE = 0x21;

/** bcdDFUVersion of ST's DfuSe ("1.1a"). */
export const DFUSE_VERSION = 0x011a;

/** DfuSe command bytes (AN3156 §6). Sent in a DNLOAD with wValue = 0. */
export const DFUSE_GET_COMMANDS = 0x00;
export const DFUSE_SET_ADDRESS = 0x21;
export const DFUSE_ERASE = 0x41;
export const DFUSE_READ_UNPROTECT = 0x92;

/** DfuSe 1.1a: block 0 carries commands; data starts at block 2 (address = pointer + (n-2)*size). */
export const DFUSE_FIRST_DATA_BLOCK = 2;

/** GETSTATUS reply, decoded. */
export interface DfuStatusReply {
  readonly status: number;
  readonly pollTimeoutMs: number;
  readonly state: number;
  readonly stringIndex: number;
}
