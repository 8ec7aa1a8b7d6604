// How much one firmware file may make DFU Desk allocate. A real STM32 image is a few blocks of at
// most a few MiB (the largest flash is 4 MiB); these bounds sit far above that and far below what
// would freeze the app or exhaust memory on a crafted or wrong file (a .dfu of millions of empty
// elements, a HEX of one-byte records with gaps between them, /dev/zero).

/**
 * Largest firmware file read at all: ELF files with debug information included. The app's
 * MAX_IMAGE_BYTES (core/contract/requests.ts) is the same number (a test keeps them equal).
 */
export const MAX_FIRMWARE_FILE_BYTES = 64 * 1024 * 1024;

/**
 * Most separate address ranges one image may hold: HEX and S-record runs, .dfu elements (empty ones
 * included), ELF pieces. Each costs an object and a buffer view (~150 bytes), so this bounds the
 * bookkeeping to tens of MiB; every real image has a handful.
 */
export const MAX_IMAGE_BLOCKS = 262_144;
