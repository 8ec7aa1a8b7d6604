// Simulated ST ROM bootloaders, one profile per chip, built from descriptor strings that real
// bootloaders report (reference §4; the captures are also in core/testing/fixtures/descriptors.ts,
// and profiles.test.ts checks the two agree). Memory sizes, erased values and program units follow
// the reference manuals (reference §5); durations are datasheet-order figures, marked
// [unverified] in the reference, and the poll timeouts the device *reports* are deliberately
// not the real durations where real bootloaders are known to lie (F405 mass erase, L4 page erase).
import type { MemorySpec, SegmentSpec } from './memory.js';
import type { OptionBytesLayout } from './optionBytesModel.js';
import {
  f0FactoryOptionBytes,
  f1FactoryOptionBytes,
  f4FactoryOptionBytes,
  f7FactoryOptionBytes,
  h7FactoryOptionBytes,
  l0FactoryOptionBytes,
  l4FactoryOptionBytes,
  u5FactoryOptionBytes,
} from './optionBytesModel.js';

/**
 * The family the product should guess from the descriptors (a subset of core/devices/stm32.ts
 * Stm32Family); 'unknown' for the non-ST DfuSe ROMs (GigaDevice, Artery), which the product
 * treats with its conservative defaults.
 */
export type SimulatedFamily = 'F0' | 'F1' | 'F4' | 'F7' | 'L0' | 'L1' | 'L4' | 'G4' | 'H7' | 'U5' | 'unknown';

/** Poll timeouts (bwPollTimeout) the bootloader reports in its DNBUSY answer, per operation. */
export interface ReportedPollTimeouts {
  readonly setAddress: number;
  readonly erase: number;
  readonly massErase: number;
  readonly write: number;
  readonly optionBytes: number;
  readonly readUnprotect: number;
  readonly leave: number;
}

export interface SimulatorTimings {
  /** Fixed cost of one control transfer (setup, status stage, frame scheduling). */
  readonly usbOverheadMs: number;
  /** Data-stage throughput of full-speed control transfers. */
  readonly usbBytesPerMs: number;
  readonly setAddressMs: number;
  readonly massEraseMs: number;
  /** Programming the option bytes before the device resets. */
  readonly optionBytesMs: number;
  /** From a reset (option bytes, read unprotect, detach) until the device is back on the bus. */
  readonly reenumerateMs: number;
  /** From the dfuMANIFEST answer until the bootloader lets go of USB and jumps. */
  readonly leaveMs: number;
  readonly reported: ReportedPollTimeouts;
}

export interface SimulatorQuirks {
  /** Starts in dfuERROR/errFIRMWARE (reference §2.8 item 1: F4 Discovery, L0, L1 logs). */
  readonly errorAtConnect: boolean;
  /** STALLs a GETSTATUS sent while an operation still runs (reference §1.3: some L4 BLs). */
  readonly stallWhenPolledEarly: boolean;
  /** Never answers the GETSTATUS after the leave request (reference §2.6: H7 logs). */
  readonly noStatusAfterLeave: boolean;
  /** STALLs CLRSTATUS outside dfuERROR like the STM32C5 ROM (reference §1.3); records more misuse. */
  readonly strict: boolean;
}

export interface SimulatorAlternate {
  /** The alt-setting string exactly as the bootloader reports it (spaces significant). */
  readonly descriptor: string;
  /** What the chip really has behind it. */
  readonly memory: MemorySpec;
}

export interface SimulatorProfile {
  readonly id: string;
  readonly label: string;
  readonly description: string;
  readonly vendorId: number;
  readonly productId: number;
  readonly bcdDevice: number;
  readonly manufacturer: string;
  readonly product: string;
  readonly serial: string;
  /** How the ROM encodes its serial string (the GD32VF103 sends 8-bit characters, not UTF-16LE). */
  readonly serialEncoding?: 'utf-16le' | 'utf-8';
  /** wTransferSize of the DFU functional descriptor. */
  readonly transferSize: number;
  /** bmAttributes of the DFU functional descriptor (ST: 0x0B, can download/upload, will detach). */
  readonly attributes: number;
  readonly detachTimeoutMs: number;
  readonly family: SimulatedFamily;
  readonly alternates: readonly SimulatorAlternate[];
  /** Where the option bytes are; `address` is the block holding RDP (the first one in the string). */
  readonly optionBytes: { readonly alternate: number; readonly address: number; readonly layout: OptionBytesLayout };
  /**
   * Read-only system memory outside every alt setting that a host can still read with Set Address +
   * UPLOAD (AN3156: flash, RAM, system memory and option bytes are readable): the unique device ID
   * and the flash-size register F_SIZE, which tells the real flash size when the descriptor lies.
   */
  readonly systemMemory: {
    readonly uniqueIdAddress: number;
    readonly flashSizeAddress: number;
    readonly flashSizeKiB: number;
    /**
     * Whether the ROM answers an UPLOAD there (default true). Real ROMs differ and few are
     * documented: false models one that refuses reads outside its alt settings (errTARGET), so
     * the host must fall back to the user's flash size.
     */
    readonly isReadable?: boolean;
  };
  readonly timings: SimulatorTimings;
  readonly quirks: SimulatorQuirks;
  /** Where the descriptor strings and identity were seen (public captures), for the docs and reviewers. */
  readonly source?: string;
}

const ST_VENDOR_ID = 0x0483;
const DFU_PRODUCT_ID = 0xdf11;
const ST_ATTRIBUTES = 0x0b;
const ST_DETACH_TIMEOUT_MS = 255;
const OLD_PRODUCT = 'STM32  BOOTLOADER'; // two spaces: F4/F7/L4 captures (reference §1.4)
const NEW_PRODUCT = 'DFU in FS Mode'; // H7/U5/G0/WB captures
const MANUFACTURER = 'STMicroelectronics';

const NO_QUIRKS: SimulatorQuirks = { errorAtConnect: false, stallWhenPolledEarly: false, noStatusAfterLeave: false, strict: false };

// Full-speed control transfers: ~1 ms per request and ~1 KB/ms of data stage (reference §1.4 and
// the dfu-util upload rates of ST BLs).
const USB = { usbOverheadMs: 1, usbBytesPerMs: 1024 } as const;

function kib(n: number): number {
  return n * 1024;
}

function segment(start: number, sectorCount: number, sectorSize: number, eraseMs?: number, initial?: Uint8Array): SegmentSpec {
  return { start, sectorCount, sectorSize, ...(eraseMs !== undefined ? { eraseMs } : {}), ...(initial ? { initial } : {}) };
}

/** Consecutive segments, each starting where the previous one ends. */
function runs(start: number, groups: readonly [count: number, size: number, eraseMs: number][]): SegmentSpec[] {
  const out: SegmentSpec[] = [];
  let address = start;
  for (const [count, size, eraseMs] of groups) {
    out.push(segment(address, count, size, eraseMs));
    address += count * size;
  }
  return out;
}

function optionBytesMemory(blocks: readonly [start: number, initial: Uint8Array][]): MemorySpec {
  return {
    kind: 'option-bytes',
    segments: blocks.map(([start, initial]) => segment(start, 1, initial.length, undefined, initial)),
    isReadable: true,
    isErasable: false,
    isWritable: true,
    erasedValue: 0xff,
    programUnit: 1,
    rewrite: 'overwrite',
    programMsPerKiB: 0,
  };
}

// --- STM32L0 Cat 5 (L072/L073/L082/L083): reference §7.1 ------------------------------------

const L0_FLASH: Omit<MemorySpec, 'segments'> = {
  kind: 'flash',
  isReadable: true,
  isErasable: true,
  isWritable: true,
  erasedValue: 0x00, // EEPROM-style NVM (reference §5.1)
  programUnit: 4, // word; NOTZEROERR is checked per word (RM0377)
  rewrite: 'keep-old',
  programMsPerKiB: 51.2, // half-page (64 B) in ~3.2 ms
};

function l0Profile(options: { id: string; label: string; description: string; serial: string; realFlashBytes: number }): SimulatorProfile {
  return {
    id: options.id,
    label: options.label,
    description: options.description,
    vendorId: ST_VENDOR_ID,
    productId: DFU_PRODUCT_ID,
    bcdDevice: 0x2200,
    manufacturer: MANUFACTURER,
    product: OLD_PRODUCT,
    serial: options.serial,
    transferSize: 2048,
    attributes: ST_ATTRIBUTES,
    detachTimeoutMs: ST_DETACH_TIMEOUT_MS,
    family: 'L0',
    alternates: [
      {
        descriptor: '@Internal Flash  /0x08000000/1536*128g',
        memory: {
          ...L0_FLASH,
          segments: [segment(0x08000000, 1536, 128, 3.2)],
          ...(options.realFlashBytes < 1536 * 128 ? { realEnd: 0x08000000 + options.realFlashBytes } : {}),
        },
      },
      { descriptor: '@Option Bytes  /0x1FF80000/01*032 e', memory: optionBytesMemory([[0x1ff80000, l0FactoryOptionBytes('L0')]]) },
      {
        descriptor: '@DATA Memory /0x08080000/2*3Ke',
        memory: {
          kind: 'eeprom',
          segments: [segment(0x08080000, 2, kib(3))],
          isReadable: true,
          isErasable: false,
          isWritable: true,
          erasedValue: 0x00,
          programUnit: 1, // byte-writable, erased automatically (RM0377)
          rewrite: 'overwrite',
          programMsPerKiB: 819, // one word per ~3.2 ms
        },
      },
    ],
    optionBytes: { alternate: 1, address: 0x1ff80000, layout: 'l0' },
    systemMemory: { uniqueIdAddress: 0x1ff80050, flashSizeAddress: 0x1ff8007c, flashSizeKiB: options.realFlashBytes / 1024 },
    timings: {
      ...USB,
      setAddressMs: 0.1,
      massEraseMs: 1536 * 3.2, // the BL erases page by page
      optionBytesMs: 30,
      reenumerateMs: 800,
      leaveMs: 5,
      reported: { setAddress: 5, erase: 5, massErase: 5000, write: 110, optionBytes: 50, readUnprotect: 5000, leave: 5 },
    },
    quirks: { ...NO_QUIRKS, errorAtConnect: true },
  };
}

// --- STM32F4 (RM0090): 16/64/128 KB sectors ------------------------------------------------------

const F4_FLASH: Omit<MemorySpec, 'segments'> = {
  kind: 'flash',
  isReadable: true,
  isErasable: true,
  isWritable: true,
  erasedValue: 0xff,
  programUnit: 4, // x32 parallelism at 2.7-3.6 V
  rewrite: 'and',
  programMsPerKiB: 4, // ~16 us per word
};

// Typical sector erase at x32: 16 KB ~0.4 s, 64 KB ~0.8 s, 128 KB ~1.4 s (reference §5, [unverified]).
const F4_BANK: readonly [number, number, number][] = [
  [4, kib(16), 400],
  [1, kib(64), 800],
  [7, kib(128), 1400],
];

const F4_OTP: MemorySpec = {
  kind: 'otp',
  segments: [segment(0x1fff7800, 1, 512), segment(0x1fff7a00, 1, 16)],
  isReadable: true,
  isErasable: false,
  isWritable: true,
  erasedValue: 0xff,
  programUnit: 1,
  rewrite: 'and', // one-time programmable: bits only ever go 1 -> 0
  programMsPerKiB: 4,
};

const DEVICE_FEATURE: MemorySpec = {
  kind: 'feature',
  segments: [segment(0xffff0000, 1, 4)],
  isReadable: true,
  isErasable: false,
  isWritable: true,
  erasedValue: 0xff,
  programUnit: 1,
  rewrite: 'overwrite',
  programMsPerKiB: 0,
};

const F4_TIMINGS: SimulatorTimings = {
  ...USB,
  setAddressMs: 0.1,
  massEraseMs: 16_000, // 1 MB at x32; dfu-util: "up to 32 seconds"
  optionBytesMs: 50,
  reenumerateMs: 800,
  leaveMs: 5,
  // dfu-util dfuse.c: the F405 reports 100 ms for a mass erase that takes seconds.
  reported: { setAddress: 1, erase: 100, massErase: 100, write: 20, optionBytes: 100, readUnprotect: 100, leave: 5 },
};

function f4Profile(options: {
  id: string;
  label: string;
  description: string;
  serial: string;
  bcdDevice: number;
  typeLetter: 'e' | 'g';
  errorAtConnect: boolean;
}): SimulatorProfile {
  const t = options.typeLetter;
  return {
    id: options.id,
    label: options.label,
    description: options.description,
    vendorId: ST_VENDOR_ID,
    productId: DFU_PRODUCT_ID,
    bcdDevice: options.bcdDevice,
    manufacturer: MANUFACTURER,
    product: OLD_PRODUCT,
    serial: options.serial,
    transferSize: 2048,
    attributes: ST_ATTRIBUTES,
    detachTimeoutMs: ST_DETACH_TIMEOUT_MS,
    family: 'F4',
    alternates: [
      { descriptor: '@Internal Flash  /0x08000000/04*016Kg,01*064Kg,07*128Kg', memory: { ...F4_FLASH, segments: runs(0x08000000, F4_BANK) } },
      { descriptor: `@Option Bytes  /0x1FFFC000/01*016 ${t}`, memory: optionBytesMemory([[0x1fffc000, f4FactoryOptionBytes()]]) },
      { descriptor: `@OTP Memory /0x1FFF7800/01*512 ${t},01*016 ${t}`, memory: F4_OTP },
      { descriptor: `@Device Feature/0xFFFF0000/01*004 ${t}`, memory: DEVICE_FEATURE },
    ],
    optionBytes: { alternate: 1, address: 0x1fffc000, layout: 'f4' },
    systemMemory: { uniqueIdAddress: 0x1fff7a10, flashSizeAddress: 0x1fff7a22, flashSizeKiB: 1024 },
    timings: F4_TIMINGS,
    quirks: { ...NO_QUIRKS, errorAtConnect: options.errorAtConnect },
  };
}

const stm32l073 = l0Profile({
  id: 'stm32l073',
  label: 'STM32L073 (192 KB, ROM DFU)',
  description: 'The founding case: 1536 x 128-byte pages erased to 0x00, writes over unerased words silently keep the old data; starts in dfuERROR',
  serial: '7FB4A4356231',
  realFlashBytes: 1536 * 128,
});

const stm32l072xb = l0Profile({
  id: 'stm32l072xb',
  label: 'STM32L072xB (128 KB; descriptor says 192 KB)',
  description: 'Same bootloader as the L073 but only 128 KB of flash: erase, write or read at or above 0x08020000 hangs it',
  serial: '3266378A3439',
  realFlashBytes: 128 * 1024,
});

const stm32f405 = f4Profile({
  id: 'stm32f405',
  label: 'STM32F405 (1 MB, newer BL 0x2200)',
  description: '16/64/128 KB sectors, writes AND into unerased flash, mass erase reports 100 ms but takes ~16 s',
  serial: '346A386B3437',
  bcdDevice: 0x2200,
  typeLetter: 'e',
  errorAtConnect: false,
});

const stm32f407 = f4Profile({
  id: 'stm32f407',
  label: 'STM32F407 (F4-Discovery, old BL 0x2100)',
  description: 'Old bootloader: option bytes, OTP and device feature typed "g"; starts in dfuERROR like the F4 Discovery log',
  serial: '336D38763135',
  bcdDevice: 0x2100,
  typeLetter: 'g',
  errorAtConnect: true,
});

const stm32f429: SimulatorProfile = {
  ...f4Profile({
    id: 'stm32f429',
    label: 'STM32F429 (2 MB dual bank)',
    description: 'Two banks of 16/64/128 KB sectors and two option-byte blocks (0x1FFFC000, 0x1FFEC000)',
    serial: '326433593336',
    bcdDevice: 0x2200,
    typeLetter: 'e',
    errorAtConnect: false,
  }),
  alternates: [
    {
      descriptor: '@Internal Flash  /0x08000000/04*016Kg,01*064Kg,07*128Kg,04*016Kg,01*064Kg,07*128Kg',
      memory: { ...F4_FLASH, segments: runs(0x08000000, [...F4_BANK, ...F4_BANK]) },
    },
    {
      descriptor: '@Option Bytes  /0x1FFFC000/01*016 e/0x1FFEC000/01*016 e',
      memory: optionBytesMemory([
        [0x1fffc000, f4FactoryOptionBytes()],
        [0x1ffec000, f4FactoryOptionBytes(true)],
      ]),
    },
    { descriptor: '@OTP Memory /0x1FFF7800/01*512 e,01*016 e', memory: F4_OTP },
    { descriptor: '@Device Feature/0xFFFF0000/01*004 e', memory: DEVICE_FEATURE },
  ],
  systemMemory: { uniqueIdAddress: 0x1fff7a10, flashSizeAddress: 0x1fff7a22, flashSizeKiB: 2048 },
  timings: { ...F4_TIMINGS, massEraseMs: 24_000 },
};

const stm32f072: SimulatorProfile = {
  id: 'stm32f072',
  label: 'STM32F072 (128 KB)',
  description: '64 x 2 KB pages, half-word programming; a half-word that is not 0xFFFF refuses a write (PGERR)',
  vendorId: ST_VENDOR_ID,
  productId: DFU_PRODUCT_ID,
  bcdDevice: 0x2200,
  manufacturer: MANUFACTURER,
  product: OLD_PRODUCT,
  serial: 'FFFFFFFEFFFF', // F0 BLs all report this serial (reference §1.4)
  transferSize: 2048,
  attributes: ST_ATTRIBUTES,
  detachTimeoutMs: ST_DETACH_TIMEOUT_MS,
  family: 'F0',
  alternates: [
    {
      descriptor: '@Internal Flash  /0x08000000/064*0002Kg',
      memory: {
        kind: 'flash',
        segments: [segment(0x08000000, 64, kib(2), 30)],
        isReadable: true,
        isErasable: true,
        isWritable: true,
        erasedValue: 0xff,
        programUnit: 2,
        rewrite: 'error', // RM0091: PGERR, the half-word is not written
        programMsPerKiB: 27, // ~53 us per half-word
      },
    },
    { descriptor: '@Option Bytes  /0x1FFFF800/01*016 e', memory: optionBytesMemory([[0x1ffff800, f0FactoryOptionBytes()]]) },
  ],
  optionBytes: { alternate: 1, address: 0x1ffff800, layout: 'f0' },
  systemMemory: { uniqueIdAddress: 0x1ffff7ac, flashSizeAddress: 0x1ffff7cc, flashSizeKiB: 128 },
  timings: {
    ...USB,
    setAddressMs: 0.1,
    massEraseMs: 40,
    optionBytesMs: 40,
    reenumerateMs: 800,
    leaveMs: 5,
    reported: { setAddress: 1, erase: 50, massErase: 50, write: 60, optionBytes: 50, readUnprotect: 50, leave: 5 },
  },
  quirks: NO_QUIRKS,
};

const ECC_FLASH: Omit<MemorySpec, 'segments'> = {
  kind: 'flash',
  isReadable: true,
  isErasable: true,
  isWritable: true,
  erasedValue: 0xff,
  programUnit: 8, // 64-bit double-word + ECC, written once between erases
  rewrite: 'ecc',
  programMsPerKiB: 11, // ~85 us per double-word
};

const stm32g474: SimulatorProfile = {
  id: 'stm32g474',
  label: 'STM32G474 (512 KB dual bank)',
  description: '2 KB pages with ECC (a double-word is written once), two option-byte blocks, newer BL 0x0200',
  vendorId: ST_VENDOR_ID,
  productId: DFU_PRODUCT_ID,
  bcdDevice: 0x0200,
  manufacturer: MANUFACTURER,
  product: NEW_PRODUCT,
  serial: '205939885533',
  transferSize: 2048,
  attributes: ST_ATTRIBUTES,
  detachTimeoutMs: ST_DETACH_TIMEOUT_MS,
  family: 'G4',
  alternates: [
    { descriptor: '@Internal Flash   /0x08000000/256*02Kg', memory: { ...ECC_FLASH, segments: [segment(0x08000000, 256, kib(2), 22)] } },
    {
      descriptor: '@Option Bytes   /0x1FFF7800/01*048 e/0x1FFFF800/01*048 e',
      memory: optionBytesMemory([
        [0x1fff7800, l4FactoryOptionBytes({ sizeBytes: 48 })],
        [0x1ffff800, l4FactoryOptionBytes({ sizeBytes: 48, bank2: true })],
      ]),
    },
    {
      descriptor: '@OTP Memory   /0x1FFF7000/01*1024 e',
      memory: { ...ECC_FLASH, kind: 'otp', segments: [segment(0x1fff7000, 1, 1024)], isErasable: false },
    },
  ],
  optionBytes: { alternate: 1, address: 0x1fff7800, layout: 'l4' },
  systemMemory: { uniqueIdAddress: 0x1fff7590, flashSizeAddress: 0x1fff75e0, flashSizeKiB: 512 },
  timings: {
    ...USB,
    setAddressMs: 0.1,
    massEraseMs: 50, // both banks, ~25 ms each
    optionBytesMs: 30,
    reenumerateMs: 800,
    leaveMs: 5,
    reported: { setAddress: 1, erase: 25, massErase: 60, write: 25, optionBytes: 50, readUnprotect: 60, leave: 5 },
  },
  quirks: NO_QUIRKS,
};

const stm32l476: SimulatorProfile = {
  id: 'stm32l476',
  label: 'STM32L476 (1 MB dual bank, stalls when polled early)',
  description: '2 KB ECC pages; reports a too-short poll timeout for erases and STALLs a GETSTATUS sent while the erase still runs',
  vendorId: ST_VENDOR_ID,
  productId: DFU_PRODUCT_ID,
  bcdDevice: 0x2200,
  manufacturer: MANUFACTURER,
  product: OLD_PRODUCT,
  serial: '2056316B5652',
  transferSize: 2048,
  attributes: ST_ATTRIBUTES,
  detachTimeoutMs: ST_DETACH_TIMEOUT_MS,
  family: 'L4',
  alternates: [
    // L4 BLs zero-pad to 4 digits (captured `0256*0002Kg` on an L45x; the L476 has 512 pages).
    { descriptor: '@Internal Flash  /0x08000000/0512*0002Kg', memory: { ...ECC_FLASH, segments: [segment(0x08000000, 512, kib(2), 24)] } },
    {
      descriptor: '@Option Bytes  /0x1FFF7800/01*040 e/0x1FFFF800/01*040 e',
      memory: optionBytesMemory([
        [0x1fff7800, l4FactoryOptionBytes({ sizeBytes: 40 })],
        [0x1ffff800, l4FactoryOptionBytes({ sizeBytes: 40, bank2: true })],
      ]),
    },
    {
      descriptor: '@OTP Memory /0x1FFF7000/01*0001Ke',
      memory: { ...ECC_FLASH, kind: 'otp', segments: [segment(0x1fff7000, 1, 1024)], isErasable: false },
    },
    { descriptor: '@Device Feature/0xFFFF0000/01*004 e', memory: DEVICE_FEATURE },
  ],
  optionBytes: { alternate: 1, address: 0x1fff7800, layout: 'l4' },
  systemMemory: { uniqueIdAddress: 0x1fff7590, flashSizeAddress: 0x1fff75e0, flashSizeKiB: 1024 },
  timings: {
    ...USB,
    setAddressMs: 0.1,
    massEraseMs: 50,
    optionBytesMs: 30,
    reenumerateMs: 800,
    leaveMs: 5,
    // Reference §1.3: the reported erase poll timeout is too short for the real page erase.
    reported: { setAddress: 1, erase: 10, massErase: 10, write: 25, optionBytes: 50, readUnprotect: 60, leave: 5 },
  },
  quirks: { ...NO_QUIRKS, stallWhenPolledEarly: true },
};

const stm32h743: SimulatorProfile = {
  id: 'stm32h743',
  label: 'STM32H743 (2 MB, 1024-byte transfers)',
  description: '16 x 128 KB sectors, 32-byte flash words with ECC, wTransferSize 1024, option bytes are registers, no GETSTATUS answer after leave',
  vendorId: ST_VENDOR_ID,
  productId: DFU_PRODUCT_ID,
  bcdDevice: 0x0200,
  manufacturer: MANUFACTURER,
  product: NEW_PRODUCT,
  serial: '200364500000',
  transferSize: 1024,
  attributes: ST_ATTRIBUTES,
  detachTimeoutMs: ST_DETACH_TIMEOUT_MS,
  family: 'H7',
  alternates: [
    {
      descriptor: '@Internal Flash   /0x08000000/16*128Kg',
      memory: { ...ECC_FLASH, programUnit: 32, programMsPerKiB: 2, segments: [segment(0x08000000, 16, kib(128), 1500)] },
    },
    { descriptor: '@Option Bytes   /0x5200201C/01*128 e', memory: optionBytesMemory([[0x5200201c, h7FactoryOptionBytes()]]) },
  ],
  optionBytes: { alternate: 1, address: 0x5200201c, layout: 'h7' },
  systemMemory: { uniqueIdAddress: 0x1ff1e800, flashSizeAddress: 0x1ff1e880, flashSizeKiB: 2048 },
  timings: {
    ...USB,
    setAddressMs: 0.1,
    massEraseMs: 6_000,
    optionBytesMs: 200,
    reenumerateMs: 800,
    leaveMs: 1,
    reported: { setAddress: 1, erase: 1000, massErase: 1000, write: 5, optionBytes: 500, readUnprotect: 1000, leave: 1 },
  },
  quirks: { ...NO_QUIRKS, noStatusAfterLeave: true },
};

/**
 * STM32H750 (WeAct and Daisy Seed boards): the same ROM bootloader and strings as the H743, but
 * 128 KiB of guaranteed flash in one sector; its flash-size register says 128. Above it the
 * simulator hangs like the L072xB does (ST guarantees nothing there; some chips have it).
 */
const stm32h750: SimulatorProfile = {
  ...stm32h743,
  id: 'stm32h750',
  label: 'STM32H750 (128 KB; descriptor says 2 MB)',
  description: "The H743's bootloader and strings on a 128 KB part: F_SIZE reads 128; erase, write or read at or above 0x08020000 hangs it",
  serial: '2057366A3035',
  alternates: [
    { ...stm32h743.alternates[0]!, memory: { ...stm32h743.alternates[0]!.memory, realEnd: 0x08020000 } },
    stm32h743.alternates[1]!,
  ],
  systemMemory: { ...stm32h743.systemMemory, flashSizeKiB: 128 },
  source:
    'docs/reference/dfuse-protocol.md §4 and §8: a WeAct H750 (NuttX docs) and a Daisy Seed (H750) list alt 0 "@Internal Flash   /0x08000000/16*128Kg" in dfu-util, the H743 string; F_SIZE 128 KB (STM32CubeProgrammer on an H750B-DK: "Flash size : 128 KBytes", device ID 0x450)',
};

const stm32l152: SimulatorProfile = {
  id: 'stm32l152',
  label: 'STM32L152 (256 KB)',
  description: '1024 x 256-byte pages erased to 0x00 (writes over unerased words keep the old data), 8 KB data EEPROM; starts in dfuERROR',
  vendorId: ST_VENDOR_ID,
  productId: DFU_PRODUCT_ID,
  bcdDevice: 0x2200,
  manufacturer: MANUFACTURER,
  product: OLD_PRODUCT,
  serial: '76B0A1336969',
  transferSize: 2048,
  attributes: ST_ATTRIBUTES,
  detachTimeoutMs: ST_DETACH_TIMEOUT_MS,
  family: 'L1',
  alternates: [
    {
      descriptor: '@Internal Flash  /0x08000000/1024*256 g',
      memory: { ...L0_FLASH, programMsPerKiB: 25.6, segments: [segment(0x08000000, 1024, 256, 3.2)] },
    },
    { descriptor: '@Option Bytes  /0x1FF80000/01*032 e', memory: optionBytesMemory([[0x1ff80000, l0FactoryOptionBytes('L1')]]) },
    {
      descriptor: '@DATA Memory /0x08080000/02*004Ke',
      memory: {
        kind: 'eeprom',
        segments: [segment(0x08080000, 2, kib(4))],
        isReadable: true,
        isErasable: false,
        isWritable: true,
        erasedValue: 0x00,
        programUnit: 1,
        rewrite: 'overwrite',
        programMsPerKiB: 819,
      },
    },
  ],
  optionBytes: { alternate: 1, address: 0x1ff80000, layout: 'l0' },
  systemMemory: { uniqueIdAddress: 0x1ff800d0, flashSizeAddress: 0x1ff800cc, flashSizeKiB: 256 }, // Cat.3 (RM0038)
  timings: {
    ...USB,
    setAddressMs: 0.1,
    massEraseMs: 1024 * 3.2,
    optionBytesMs: 30,
    reenumerateMs: 800,
    leaveMs: 5,
    reported: { setAddress: 5, erase: 5, massErase: 4000, write: 60, optionBytes: 50, readUnprotect: 4000, leave: 5 },
  },
  quirks: { ...NO_QUIRKS, errorAtConnect: true },
};


// --- Profiles from public captures (issue 16). Each names where its strings were seen; numbers
// that no capture shows (timings, reported poll timeouts, transfer size where not printed) are
// datasheet-order guesses like the ones above and stay [unverified]. ----------------------------

const F0_F1_FLASH: Omit<MemorySpec, 'segments'> = {
  kind: 'flash',
  isReadable: true,
  isErasable: true,
  isWritable: true,
  erasedValue: 0xff,
  programUnit: 2,
  rewrite: 'error', // RM0091/RM0008: PGERR, the half-word is not written
  programMsPerKiB: 27,
};

const F0_TIMINGS: SimulatorTimings = {
  ...USB,
  setAddressMs: 0.1,
  massEraseMs: 40,
  optionBytesMs: 40,
  reenumerateMs: 800,
  leaveMs: 5,
  reported: { setAddress: 1, erase: 50, massErase: 50, write: 60, optionBytes: 50, readUnprotect: 50, leave: 5 },
};

const stm32f042: SimulatorProfile = {
  id: 'stm32f042',
  label: 'STM32F042 (32 KB, 1 KB pages)',
  description: '32 x 1 KB pages, half-word programming (PGERR over unerased data); crystal-less USB part of many CAN adapters and keyboards',
  vendorId: ST_VENDOR_ID,
  productId: DFU_PRODUCT_ID,
  bcdDevice: 0x2200,
  manufacturer: MANUFACTURER,
  product: OLD_PRODUCT,
  serial: 'FFFFFFFEFFFF',
  transferSize: 2048,
  attributes: ST_ATTRIBUTES,
  detachTimeoutMs: ST_DETACH_TIMEOUT_MS,
  family: 'F0',
  alternates: [
    { descriptor: '@Internal Flash  /0x08000000/032*0001Kg', memory: { ...F0_F1_FLASH, segments: [segment(0x08000000, 32, kib(1), 25)] } },
    { descriptor: '@Option Bytes  /0x1FFFF800/01*016 e', memory: optionBytesMemory([[0x1ffff800, f0FactoryOptionBytes()]]) },
  ],
  optionBytes: { alternate: 1, address: 0x1ffff800, layout: 'f0' },
  systemMemory: { uniqueIdAddress: 0x1ffff7ac, flashSizeAddress: 0x1ffff7cc, flashSizeKiB: 32 },
  timings: F0_TIMINGS,
  quirks: NO_QUIRKS,
  source:
    'dfu-util -l listings of F042 boards in public READMEs (Klipper CAN adapters, candleLight-style debuggers, a QMK keyboard): ver=2200, alt 0 "@Internal Flash  /0x08000000/032*0001Kg", alt 1 "@Option Bytes  /0x1FFFF800/01*016 e", serial "FFFFFFFEFFFF"',
};

const stm32f107: SimulatorProfile = {
  id: 'stm32f107',
  label: 'STM32F105/F107 (256 KB connectivity line)',
  description: '128 x 2 KB pages, half-word programming, RDP key 0xA5; the only F1 line with a USB DFU bootloader (AN2606)',
  vendorId: ST_VENDOR_ID,
  productId: DFU_PRODUCT_ID,
  bcdDevice: 0x2200,
  manufacturer: MANUFACTURER,
  product: 'STM32 0x418 DFU Bootloader',
  serial: 'STM32',
  transferSize: 2048,
  attributes: ST_ATTRIBUTES,
  detachTimeoutMs: ST_DETACH_TIMEOUT_MS,
  family: 'F1',
  alternates: [
    { descriptor: '@Internal Flash  /0x08000000/128*002Kg', memory: { ...F0_F1_FLASH, programMsPerKiB: 35, segments: [segment(0x08000000, 128, kib(2), 30)] } },
    { descriptor: '@Option Bytes  /0x1FFFF800/01*016 e', memory: optionBytesMemory([[0x1ffff800, f1FactoryOptionBytes()]]) },
  ],
  optionBytes: { alternate: 1, address: 0x1ffff800, layout: 'f1' },
  systemMemory: { uniqueIdAddress: 0x1ffff7e8, flashSizeAddress: 0x1ffff7e0, flashSizeKiB: 256 },
  timings: { ...F0_TIMINGS, massEraseMs: 60 },
  quirks: NO_QUIRKS,
  source:
    'lsusb -v of a real STM32F107 quoted in a public USB firmware (bcdDevice 22.00, iProduct "STM32 0x418 DFU Bootloader", iSerial "STM32", "@Internal Flash  /0x08000000/128*002Kg"); dfu-util -l of an F105 board (HID2AMI docs: ver=2200, serial "STM32", alt 1 "@Option Bytes  /0x1FFFF800/01*016 e"); reference §1.4',
};

const stm32f722: SimulatorProfile = {
  id: 'stm32f722',
  label: 'STM32F722 (512 KB, flight controllers)',
  description: '4x16K, 1x64K, 3x128K sectors; OTP string without a multiplier (01*528e); serial "STM32FxSTM32"',
  vendorId: ST_VENDOR_ID,
  productId: DFU_PRODUCT_ID,
  bcdDevice: 0x2200,
  manufacturer: MANUFACTURER,
  product: OLD_PRODUCT,
  serial: 'STM32FxSTM32',
  transferSize: 2048,
  attributes: ST_ATTRIBUTES,
  detachTimeoutMs: ST_DETACH_TIMEOUT_MS,
  family: 'F7',
  alternates: [
    {
      descriptor: '@Internal Flash  /0x08000000/04*016Kg,01*64Kg,03*128Kg',
      memory: { ...F4_FLASH, segments: runs(0x08000000, [[4, kib(16), 400], [1, kib(64), 800], [3, kib(128), 1400]]) },
    },
    { descriptor: '@Option Bytes  /0x1FFF0000/01*048 e', memory: optionBytesMemory([[0x1fff0000, f7FactoryOptionBytes(48)]]) },
    { descriptor: '@OTP Memory /0x1FF07800/01*528e', memory: { ...F4_OTP, segments: [segment(0x1ff07800, 1, 528)] } },
    { descriptor: '@Device Feature/0xFFFF0000/01*004 e', memory: DEVICE_FEATURE },
  ],
  optionBytes: { alternate: 1, address: 0x1fff0000, layout: 'f7' },
  // F72x/F73x: UID 0x1FF07A10, F_SIZE 0x1FF07A22 (RM0431; core/devices/stm32.ts flashSizeRegisterFor).
  systemMemory: { uniqueIdAddress: 0x1ff07a10, flashSizeAddress: 0x1ff07a22, flashSizeKiB: 512 },
  timings: { ...F4_TIMINGS, massEraseMs: 8_000 },
  quirks: NO_QUIRKS,
  source: 'dfu-util 0.11 --list in a public Betaflight flashing note (core/testing/fixtures/descriptors.ts f722*): ver=2200, all four alt strings, serial "STM32FxSTM32"',
};

const stm32g431: SimulatorProfile = {
  id: 'stm32g431',
  label: 'STM32G431 (128 KB, "B" multiplier)',
  description: '64 x 2 KB ECC pages; option bytes typed 01*40Be (a "B" multiplier), OTP 01*01Ke; newer BL 0x0200',
  vendorId: ST_VENDOR_ID,
  productId: DFU_PRODUCT_ID,
  bcdDevice: 0x0200,
  manufacturer: MANUFACTURER,
  product: NEW_PRODUCT,
  serial: '208A31574253',
  transferSize: 2048,
  attributes: ST_ATTRIBUTES,
  detachTimeoutMs: ST_DETACH_TIMEOUT_MS,
  family: 'G4',
  alternates: [
    { descriptor: '@Internal Flash   /0x08000000/64*02Kg', memory: { ...ECC_FLASH, segments: [segment(0x08000000, 64, kib(2), 22)] } },
    { descriptor: '@Option Bytes   /0x1FFF7800/01*40Be', memory: optionBytesMemory([[0x1fff7800, l4FactoryOptionBytes({ sizeBytes: 40 })]]) },
    { descriptor: '@OTP Memory   /0x1FFF7000/01*01Ke', memory: { ...ECC_FLASH, kind: 'otp', segments: [segment(0x1fff7000, 1, 1024)], isErasable: false } },
  ],
  optionBytes: { alternate: 1, address: 0x1fff7800, layout: 'l4' },
  systemMemory: { uniqueIdAddress: 0x1fff7590, flashSizeAddress: 0x1fff75e0, flashSizeKiB: 128 },
  timings: {
    ...USB,
    setAddressMs: 0.1,
    massEraseMs: 25,
    optionBytesMs: 30,
    reenumerateMs: 800,
    leaveMs: 5,
    reported: { setAddress: 1, erase: 25, massErase: 30, write: 25, optionBytes: 50, readUnprotect: 30, leave: 5 },
  },
  quirks: NO_QUIRKS,
  source:
    'dfu-util 0.11 -l in a public G431 blink README: ver=0200, alt 0 "@Internal Flash   /0x08000000/64*02Kg", alt 1 "@Option Bytes   /0x1FFF7800/01*40Be", alt 2 "@OTP Memory   /0x1FFF7000/01*01Ke", serial "208A31574253"',
};

const stm32l452: SimulatorProfile = {
  id: 'stm32l452',
  label: 'STM32L45x (512 KB, single bank)',
  description: '256 x 2 KB ECC pages with the zero-padded strings of the older BL (0256*0002Kg, 01*0001Ke); one 40-byte option-byte block',
  vendorId: ST_VENDOR_ID,
  productId: DFU_PRODUCT_ID,
  bcdDevice: 0x2200,
  manufacturer: MANUFACTURER,
  product: OLD_PRODUCT,
  serial: '2059336A4D4B',
  transferSize: 2048,
  attributes: ST_ATTRIBUTES,
  detachTimeoutMs: ST_DETACH_TIMEOUT_MS,
  family: 'L4',
  alternates: [
    { descriptor: '@Internal Flash  /0x08000000/0256*0002Kg', memory: { ...ECC_FLASH, segments: [segment(0x08000000, 256, kib(2), 24)] } },
    { descriptor: '@Option Bytes  /0x1FFF7800/01*040 e', memory: optionBytesMemory([[0x1fff7800, l4FactoryOptionBytes({ sizeBytes: 40 })]]) },
    { descriptor: '@OTP Memory /0x1FFF7000/01*0001Ke', memory: { ...ECC_FLASH, kind: 'otp', segments: [segment(0x1fff7000, 1, 1024)], isErasable: false } },
    { descriptor: '@Device Feature/0xFFFF0000/01*004 e', memory: DEVICE_FEATURE },
  ],
  optionBytes: { alternate: 1, address: 0x1fff7800, layout: 'l4' },
  systemMemory: { uniqueIdAddress: 0x1fff7590, flashSizeAddress: 0x1fff75e0, flashSizeKiB: 512 },
  timings: {
    ...USB,
    setAddressMs: 0.1,
    massEraseMs: 25,
    optionBytesMs: 30,
    reenumerateMs: 800,
    leaveMs: 5,
    reported: { setAddress: 1, erase: 25, massErase: 30, write: 25, optionBytes: 50, readUnprotect: 30, leave: 5 },
  },
  quirks: NO_QUIRKS,
  source: 'dfu-util -l outputs quoted in the Inertial Sense SDK (IMX-5, an L45x; core/testing/fixtures/descriptors.ts l4*): ver=2200, all four alt strings; reference §3.4',
};

const stm32h7a3: SimulatorProfile = {
  id: 'stm32h7a3',
  label: 'STM32H7A3 (2 MB in 8 KB sectors, 297-byte option registers)',
  description: '256 x 8 KB sectors with 16-byte flash words (ECC), option registers from 0x5200201C (297 bytes), OTP at 0x08FFF000; wTransferSize 1024; no GETSTATUS answer after leave',
  vendorId: ST_VENDOR_ID,
  productId: DFU_PRODUCT_ID,
  bcdDevice: 0x0200,
  manufacturer: MANUFACTURER,
  product: NEW_PRODUCT,
  serial: '376E356F3339',
  transferSize: 1024,
  attributes: ST_ATTRIBUTES,
  detachTimeoutMs: ST_DETACH_TIMEOUT_MS,
  family: 'H7',
  alternates: [
    {
      descriptor: '@Internal Flash   /0x08000000/256*08Kg',
      memory: { ...ECC_FLASH, programUnit: 16, programMsPerKiB: 3, segments: [segment(0x08000000, 256, kib(8), 60)] },
    },
    { descriptor: '@Option Bytes   /0x5200201C/01*297 e', memory: optionBytesMemory([[0x5200201c, h7FactoryOptionBytes(297)]]) },
    {
      descriptor: '@OTP Memory   /0x08FFF000/01*1024 e',
      memory: { ...ECC_FLASH, programUnit: 2, kind: 'otp', segments: [segment(0x08fff000, 1, 1024)], isErasable: false },
    },
  ],
  optionBytes: { alternate: 1, address: 0x5200201c, layout: 'h7' },
  // RM0455: UID 0x08FFF800, F_SIZE 0x08FFF80C (OpenOCD stm32h7x.c and stlink's chip table agree).
  systemMemory: { uniqueIdAddress: 0x08fff800, flashSizeAddress: 0x08fff80c, flashSizeKiB: 2048 },
  timings: {
    ...USB,
    setAddressMs: 0.1,
    massEraseMs: 4_000,
    optionBytesMs: 200,
    reenumerateMs: 800,
    leaveMs: 1,
    reported: { setAddress: 1, erase: 100, massErase: 1000, write: 5, optionBytes: 500, readUnprotect: 1000, leave: 1 },
  },
  quirks: { ...NO_QUIRKS, noStatusAfterLeave: true },
  source:
    'dfu-util 0.9 -l on an STM32H7A3VIT6 board (public MicroPython port notes) and on a ModRetro handheld (Zephyr notes): ver=0200, alt 0 "@Internal Flash   /0x08000000/256*08Kg", alt 1 "@Option Bytes   /0x5200201C/01*297 e", alt 2 "@OTP Memory   /0x08FFF000/01*1024 e"; wTransferSize 1024 and the failed GETSTATUS after leave: reference §1.4 and §2.6',
};

const stm32u585: SimulatorProfile = {
  id: 'stm32u585',
  label: 'STM32U585 (2 MB in 8 KB pages; F_SIZE not readable)',
  description: '256 x 8 KB pages with 16-byte flash words (ECC), option registers from 0x40022040; answers errTARGET to an UPLOAD outside its alt settings (system memory, F_SIZE)',
  vendorId: ST_VENDOR_ID,
  productId: DFU_PRODUCT_ID,
  bcdDevice: 0x0200,
  manufacturer: MANUFACTURER,
  product: NEW_PRODUCT,
  serial: '207136863530',
  transferSize: 1024,
  attributes: ST_ATTRIBUTES,
  detachTimeoutMs: ST_DETACH_TIMEOUT_MS,
  family: 'U5',
  alternates: [
    {
      descriptor: '@Internal Flash   /0x08000000/256*08Kg',
      memory: { ...ECC_FLASH, programUnit: 16, programMsPerKiB: 6, segments: [segment(0x08000000, 256, kib(8), 60)] },
    },
    { descriptor: '@Option Bytes   /0x40022040/01*64 e', memory: optionBytesMemory([[0x40022040, u5FactoryOptionBytes()]]) },
    { descriptor: '@OTP Memory   /0x0BFA0000/01*512 e', memory: { ...ECC_FLASH, programUnit: 16, kind: 'otp', segments: [segment(0x0bfa0000, 1, 512)], isErasable: false } },
  ],
  optionBytes: { alternate: 1, address: 0x40022040, layout: 'u5' },
  // RM0456: UID 0x0BFA0700, F_SIZE 0x0BFA07A0. Refused here on purpose: one ST profile behaves like a ROM that only reads its alt settings.
  systemMemory: { uniqueIdAddress: 0x0bfa0700, flashSizeAddress: 0x0bfa07a0, flashSizeKiB: 2048, isReadable: false },
  timings: {
    ...USB,
    setAddressMs: 0.1,
    massEraseMs: 4_000,
    optionBytesMs: 100,
    reenumerateMs: 800,
    leaveMs: 5,
    reported: { setAddress: 1, erase: 100, massErase: 1000, write: 10, optionBytes: 200, readUnprotect: 1000, leave: 5 },
  },
  quirks: NO_QUIRKS,
  source:
    'Zephyr board docs (B-U585I-IOT02A): dfu-util -l ver=0200, alt 0 "@Internal Flash   /0x08000000/256*08Kg", alt 1 "@Option Bytes   /0x40022040/01*64 e", alt 2 "@OTP Memory   /0x0BFA0000/01*512 e", and dmesg Product "DFU in FS Mode", Manufacturer "STMicroelectronics", bcdDevice 2.00',
};

// --- Non-ST DfuSe ROMs --------------------------------------------------------------------------

const gd32vf103: SimulatorProfile = {
  id: 'gd32vf103',
  label: 'GD32VF103CBT6 (Longan Nano; descriptor says 512 x 2 KB)',
  description:
    'GigaDevice RISC-V ROM: describes 1 MB in 2 KB pages while the chip has 128 x 1 KB pages (a host that trusts the string leaves every other page unerased and verification fails); UTF-8 serial "3CBJ"; starts in dfuERROR; no GETSTATUS answer after leave',
  vendorId: 0x28e9,
  productId: 0x0189,
  bcdDevice: 0x1000,
  manufacturer: 'GDMicroelectronics',
  product: 'GD32 DFU Bootloader',
  serial: '3CBJ',
  serialEncoding: 'utf-8',
  transferSize: 2048,
  attributes: ST_ATTRIBUTES,
  detachTimeoutMs: ST_DETACH_TIMEOUT_MS,
  family: 'unknown',
  alternates: [
    {
      descriptor: '@Internal Flash  /0x08000000/512*002Kg',
      memory: {
        kind: 'flash',
        // The real page size (GD32VF103 user manual, FMC: 1 KB pages; dfu-util and fwupd fix the layout to it).
        segments: [segment(0x08000000, 128, kib(1), 40)],
        isReadable: true,
        isErasable: true,
        isWritable: true,
        erasedValue: 0xff,
        programUnit: 4, // word programming (FMC)
        // FMC PGERR: a word that is not erased is not programmed. Whether the ROM reports it is not
        // known; modelled silent, which is what makes a wrong layout show up as a verify failure.
        rewrite: 'keep-old',
        programMsPerKiB: 10,
      },
    },
    { descriptor: '@Option Bytes  /0x1FFFF800/01*016 g', memory: optionBytesMemory([[0x1ffff800, f1FactoryOptionBytes()]]) },
  ],
  optionBytes: { alternate: 1, address: 0x1ffff800, layout: 'f1' },
  // Memory density register (flash KB in bits 15:0) and UID as on F1; OpenOCD reads flash_size_in_kb 0x80 there on a Longan Nano.
  systemMemory: { uniqueIdAddress: 0x1ffff7e8, flashSizeAddress: 0x1ffff7e0, flashSizeKiB: 128, isReadable: false },
  timings: {
    ...USB,
    setAddressMs: 0.1,
    massEraseMs: 128 * 40,
    optionBytesMs: 40,
    reenumerateMs: 800,
    leaveMs: 1,
    reported: { setAddress: 1, erase: 50, massErase: 5000, write: 20, optionBytes: 50, readUnprotect: 5000, leave: 1 },
  },
  // dfu-util log: "state = dfuERROR, status = 10" at connect; QUIRK_DFUSE_LEAVE: leaves without a GETSTATUS.
  quirks: { ...NO_QUIRKS, errorAtConnect: true, noStatusAfterLeave: true },
  source:
    'dfu-util 0.9 log of a Longan Nano in a public README (ver=1000, "Run-time device DFU version 011a", dfuERROR status 10 at connect, transfer size 2048, alt 0 "@Internal Flash  /0x08000000/512*002Kg", alt 1 "@Option Bytes  /0x1FFFF800/01*016 g"); fwupd plugins/dfu/tests/dfu-gd32vf103-setup.json (serial bytes 06 03 "3CBJ"); dfu-util quirks.c; iManufacturer/iProduct from the usb.ids-style lsusb name [unverified]',
};

const at32f437: SimulatorProfile = {
  id: 'at32f437',
  label: 'Artery AT32F437xG (1 MB, "Option byte" region)',
  description: 'Artery Cortex-M4 ROM: 512 x 2 KB sectors and a 512-byte user system data block named "Option byte" (typed g) at 0x1FFFC000',
  vendorId: 0x2e3c,
  productId: 0xdf11,
  bcdDevice: 0x0200,
  manufacturer: 'Artery-Tech',
  product: NEW_PRODUCT,
  serial: 'AT32',
  transferSize: 2048,
  attributes: ST_ATTRIBUTES,
  detachTimeoutMs: ST_DETACH_TIMEOUT_MS,
  family: 'unknown',
  alternates: [
    {
      descriptor: '@Internal Flash   /0x08000000/512*002Kg',
      memory: {
        kind: 'flash',
        segments: [segment(0x08000000, 512, kib(2), 40)],
        isReadable: true,
        isErasable: true,
        isWritable: true,
        erasedValue: 0xff,
        programUnit: 4,
        rewrite: 'error', // PRGMERR when the target is not erased [unverified for the ROM's status]
        programMsPerKiB: 10,
      },
    },
    {
      descriptor: '@Option byte   /0x1FFFC000/01*512 g',
      memory: optionBytesMemory([[0x1fffc000, Uint8Array.from([...f1FactoryOptionBytes(), ...new Uint8Array(512 - 16).fill(0xff)])]]),
    },
  ],
  // User system data: FAP (0xA5 = unprotected) and its complement first, like F1 [unverified for the F437].
  optionBytes: { alternate: 1, address: 0x1fffc000, layout: 'f1' },
  systemMemory: { uniqueIdAddress: 0x1ffff7e8, flashSizeAddress: 0x1ffff7e0, flashSizeKiB: 1024, isReadable: false },
  timings: {
    ...USB,
    setAddressMs: 0.1,
    massEraseMs: 10_000,
    optionBytesMs: 50,
    reenumerateMs: 800,
    leaveMs: 5,
    reported: { setAddress: 1, erase: 50, massErase: 10_000, write: 20, optionBytes: 50, readUnprotect: 10_000, leave: 5 },
  },
  quirks: NO_QUIRKS,
  source:
    'Betaflight Configurator usbdfu.js (AT32F43xxG "@Option byte   /0x1FFFC000/01*512 g", AT32F43xxM "01*4096 g"); INAV developer notes (AT32F435 "@Internal Flash   /0x08000000/512*002Kg"); dfu-util -l of AT32 boards (ver=0200, serial "AT32"); fwupdmgr on an AT32F415 (name "DFU in FS Mode", vendor "Artery-Tech")',
};

export const profiles: Readonly<Record<string, SimulatorProfile>> = {
  stm32l073,
  stm32l072xb,
  stm32f405,
  stm32f407,
  stm32f429,
  stm32f072,
  stm32g474,
  stm32h743,
  stm32h750,
  stm32l476,
  stm32l152,
  stm32f042,
  stm32f107,
  stm32f722,
  stm32g431,
  stm32l452,
  stm32h7a3,
  stm32u585,
  gd32vf103,
  at32f437,
};

export function profileIds(): string[] {
  return Object.keys(profiles);
}

/** The alt setting holding the main flash (alt 0 on every ST bootloader). */
export const FLASH_ALTERNATE = 0;
