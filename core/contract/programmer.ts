// THE contract between the main process (or the test host) and the renderer. One interface in
// domain terms; the IPC plumbing (ipcMain handlers, the preload bridge, the browser shim) is
// derived from `programmerMethods`, so no channel name is ever typed by hand.

import type { ConfirmationKind, DfuErrorInfo } from '../errors.js';
import type { Confirmation } from '../jobs/confirmations.js';
import type { OptionBytesFieldChange } from '../jobs/optionBytesJob.js';
import type { AddressRange } from '../image/memoryImage.js';
import type { DeviceInfo } from '../usb/descriptors.js';
import type { PlanWarning } from '../dfuse/plan.js';
import type { LogLevel, PhaseTiming, SessionPhase } from '../dfuse/sessionEvents.js';
import type { AnnouncedPhase } from '../jobs/jobPhases.js';
import type { EraseRequest, ImageSaveFormat, ImageSource, OptionBytesWrite, OptionChanges, ProgramOptions, ProgramRequest, ReadRequest, SavedProgramOptions, SaveFormat, SettingsPatch } from './requests.js';
import type { VerifyReport } from '../image/diff.js';
import type { DeviceContent } from '../jobs/deviceContent.js';
import type { DecodedOptionBytes } from '../dfuse/optionBytes.js';
import type { UsbDeviceSummary } from '../usb/transport.js';

/** The words for an output-file problem (the renderer's error text uses the same as the CLI). */
export { outputProblemText, stateName, statusName } from '../errors.js';
export type { DeviceInfo, VerifyReport, DecodedOptionBytes, DfuErrorInfo, AddressRange, Confirmation, ConfirmationKind };
// The request types are derived from their schemas (requests.ts), so the validator accepts exactly them.
export type { EraseRequest, ImageSaveFormat, ImageSource, OptionBytesWrite, OptionChanges, ProgramOptions, ProgramRequest, ReadRequest, SavedProgramOptions, SaveFormat, SettingsPatch };

export type DeviceSummary = UsbDeviceSummary;

export type ImageFormat = 'intel-hex' | 'srec' | 'elf' | 'dfuse' | 'binary' | 'binary-dfu-suffix';

export interface ImageBlockSummary {
  readonly start: number;
  readonly end: number;
  readonly crc32: number;
}

/** What the renderer knows about the loaded image. The bytes stay in main. */
export interface ImageSummary {
  readonly fileName: string;
  /** Absolute path when the image came from disk (dialog, drop, recent); absent for dropped bytes. Shown, never sent back. */
  readonly path?: string;
  /** With `path`: the token that opens the same file again (reload, another base address). */
  readonly token?: string;
  readonly format: ImageFormat;
  readonly sizeBytes: number;
  readonly fileSizeBytes: number;
  readonly blocks: readonly ImageBlockSummary[];
  readonly crc32: number;
  readonly sha256?: string;
  readonly entryAddress?: number;
  readonly vectorTable?: {
    readonly initialStackPointer: number;
    readonly resetVector: number;
    readonly isStackInRam: boolean;
    readonly isResetInImage: boolean;
    readonly hasThumbBit: boolean;
  };
  /** .dfu files: their targets and identity, for the file/device match warning. */
  readonly dfu?: { readonly vendorId: number; readonly productId: number; readonly alternates: readonly number[] };
  /**
   * A raw binary (no addresses of its own): where its first byte was placed, and whether the user
   * chose that address (false: the start of flash by default, and the window asks).
   */
  readonly rawBase?: { readonly address: number; readonly isChosen: boolean };
  readonly warnings: readonly string[];
  readonly loadedAt: number;
}


/** One alt setting's plan, without the chunk data (that stays in main). */
export interface PlanSummary {
  readonly alternate: number;
  readonly region: string;
  readonly eraseMode: ProgramOptions['erase'];
  readonly isDifferential: boolean;
  readonly sectors: readonly { readonly index: number; readonly start: number; readonly end: number }[];
  readonly writeRanges: readonly AddressRange[];
  readonly bytesToWrite: number;
  /** Bytes of the image in this region (what a full write would send). */
  readonly imageBytes: number;
  /** Chunks not sent because they hold only the erased value, in sectors this plan erases first. */
  readonly skippedChunks: number;
  /** Differential: touched sectors left alone because they already hold the image. */
  readonly unchangedSectors: number;
  /** Each sector is read before its erase and left alone if it reads blank (no ECC flash only). */
  readonly blankCheck: boolean;
  readonly verifyRanges: readonly AddressRange[];
  readonly preserveRanges: readonly AddressRange[];
  readonly warnings: readonly PlanWarning[];
  /**
   * Erased sectors the image covers only in part, and what the erase does to their bytes outside
   * the image: 'blank' (read, only the erased value: nothing lost), 'data' (lostBytes destroyed),
   * 'unknown' (not read), 'preserved'. Absent from older mains.
   */
  readonly partialSectors?: readonly {
    readonly index: number;
    readonly start: number;
    readonly end: number;
    readonly where: 'head' | 'tail' | 'head and tail' | 'gaps';
    readonly state: 'unknown' | 'blank' | 'data' | 'preserved';
    readonly lostBytes?: number;
  }[];
  readonly estimatedMs: number;
  /** Compact text rendering (the CLI's --plan output). */
  readonly text: string;
}

/**
 * What flashing the loaded image on the connected device would do (core/jobs/flashJob.ts
 * prepareFlash, the same the CLI runs): one plan per region, what must be confirmed first, and
 * where a raw binary goes.
 */
export interface FlashPreview {
  readonly plans: readonly PlanSummary[];
  /** Each must be confirmed (passed back in ProgramRequest.confirmed) or program() refuses to start. */
  readonly confirmations: readonly Confirmation[];
  /** Where the file goes and what of it is unusual (each plan carries its own warnings). */
  readonly warnings: readonly string[];
  /** A raw binary's start address. */
  readonly baseAddress?: number;
  /** A whole raw option-byte block the file carries, written last (needs 'write-option-bytes'). */
  readonly optionBytes?: { readonly address: number; readonly sizeBytes: number; readonly rdpLevel: 0 | 1 | 2 };
}


/** What writeOptionBytes(changes) would do: the fields that change and what must be confirmed first. */
export interface OptionBytesWritePreview {
  readonly address: number;
  /** Each change with its values in words, from the decoder (the dialog shows these, never raw bits alone). */
  readonly changes: readonly OptionBytesFieldChange[];
  readonly confirmations: readonly Confirmation[];
}

export type JobKind =
  | 'program'
  | 'verify'
  | 'read'
  | 'erase'
  | 'option-bytes-read'
  | 'option-bytes-write'
  | 'read-unprotect'
  | 'leave';

/** The session's phases (core/dfuse/sessionEvents.ts): one vocabulary for the engine, the CLI and the window. */
export type Phase = SessionPhase;

export type { PhaseTiming };

export interface JobState {
  readonly kind: JobKind;
  readonly deviceId: string;
  /**
   * Every phase the job will run, in order, with the bytes each moves, announced by main before the
   * first one starts (core/jobs/jobPhases.ts). The window lays out its progress from this list;
   * empty only for the moment between the start of a flash job and its plan.
   */
  readonly phases: readonly AnnouncedPhase[];
  readonly phase?: Phase;
  readonly done: number;
  readonly total: number;
  readonly startedAt: number;
}

/**
 * The firmware a flash or verify job used, so a result always names what it is about (another
 * file may be open by the time the user reads it), and what the plans did with it.
 */
export interface JobFirmware {
  readonly fileName: string;
  /** CRC-32 of the image's bytes, as the image card shows it. */
  readonly crc32: number;
  readonly imageBytes: number;
  /** What a flash did, summed over its regions; absent for verify and when a flash stopped before the end of its plans. */
  readonly work?: {
    readonly bytesWritten: number;
    readonly sectorsErased: number;
    /** Sectors the plan would erase that read blank and were left alone. */
    readonly sectorsBlank: number;
    /** Chunks that held only the erased value and were not sent (the erase leaves them so). */
    readonly skippedChunks: number;
    /** Differential: sectors that already held the image and were left alone. */
    readonly unchangedSectors: number;
  };
}

export type JobResult =
  | {
      readonly kind: JobKind;
      readonly ok: true;
      readonly deviceId: string;
      readonly firmware?: JobFirmware;
      readonly timings: readonly PhaseTiming[];
      readonly verify?: VerifyReport;
      /** The chip's read protection after a job that changed it (an option-byte write, read unprotect). */
      readonly readProtection?: 0 | 1 | 2;
      readonly finishedAt: number;
    }
  | {
      readonly kind: JobKind;
      readonly ok: false;
      readonly deviceId: string;
      readonly firmware?: JobFirmware;
      readonly error: DfuErrorInfo;
      readonly timings: readonly PhaseTiming[];
      readonly verify?: VerifyReport;
      readonly finishedAt: number;
    };

/**
 * A file the user chose (open dialog, drop, recent files), as main hands it to the window: the
 * window shows `path` and opens the file with `{ kind: 'file', token }`. Tokens are random, valid
 * while the app runs, and the only way the window names a file: it never sends a path, so a
 * compromised page cannot read a file the user did not pick.
 */
export interface FileGrant {
  readonly token: string;
  readonly path: string;
  readonly fileName: string;
}

export interface Settings {
  readonly showSimulatedDevices: boolean;
  readonly recentFiles: readonly string[];
  readonly flashOnConnect: boolean;
  /** The Flash tab's options; the flash-size limit is not one of them (see flashSizeLimits). */
  readonly programOptions: SavedProgramOptions;
  /**
   * The user's real flash size in bytes per bootloader (key: bootloaderKey(DeviceInfo), core/dfuse/
   * bootloaderKey.ts), applied as ProgramOptions.flashSizeBytes, and to erase and read, only while
   * a device with that key is connected. An entry is replaced or removed by sending the whole record.
   */
  readonly flashSizeLimits: Readonly<Record<string, number>>;
}


export interface FlashTally {
  readonly passed: number;
  readonly failed: number;
}

/** Everything main knows that the window shows. The renderer mirrors the last one it received. */
export interface SessionSnapshot {
  readonly devices: readonly DeviceSummary[];
  readonly selectedDeviceId?: string;
  readonly device?: DeviceInfo;
  /**
   * The connected device's bootloader key (core/dfuse/bootloaderKey.ts): its entry in
   * settings.flashSizeLimits is the flash size main applies to it. Set whenever `device` is.
   */
  readonly bootloaderKey?: string;
  readonly image?: ImageSummary;
  /** The plan for the loaded image on the connected device (absent when it cannot be flashed there). */
  readonly preview?: FlashPreview;
  readonly job?: JobState;
  readonly lastResult?: JobResult;
  readonly optionBytes?: DecodedOptionBytes;
  /**
   * The connected chip's read protection, when known: from its option bytes (read as it connects),
   * or 1 when the bootloader refused a read because of it.
   */
  readonly readProtection?: 0 | 1 | 2;
  /** Set when the loaded file changed on disk since it was loaded (a rebuild). */
  readonly isImageStale: boolean;
  readonly readBack?: ImageSummary;
  /**
   * What the selected device holds as far as this session knows (bytes read and not changed since:
   * a plan's reads of partly covered sectors, a verification, a read back), per sector blank or
   * holding data (core/jobs/deviceContent.ts). Absent until something was read.
   */
  readonly deviceContent?: DeviceContent;
  readonly tally: FlashTally;
  /**
   * With "flash every board that connects" on: the kind of board it flashes (the board that was
   * connected when it was turned on, or the first one flashed); other boards are refused.
   */
  readonly flashOnConnectTarget?: string;
  readonly settings: Settings;
  /** settings.recentFiles, newest first, each with the token that opens it. */
  readonly recentFiles: readonly FileGrant[];
}

export type { LogLevel };
export type { AnnouncedPhase } from '../jobs/jobPhases.js';
export type { DeviceContent } from '../jobs/deviceContent.js';

export interface LogEntry {
  readonly time: number;
  readonly level: LogLevel;
  /** 'erase', 'write', 'usb', 'app', ... */
  readonly topic: string;
  readonly message: string;
  readonly deviceId?: string;
}


/** The largest window readVerifyBytes returns in one call (4,096 rows of 16 bytes). */
export const MAX_VERIFY_WINDOW_BYTES = 64 * 1024;

/**
 * One window of the last verification, side by side: what the image says and what the device
 * held when it was read back. Both arrays are as long as the window; a byte outside
 * `expectedRanges` (or `actualRanges`) is 0 and means "no byte there", not a value.
 */
export interface VerifyBytes {
  readonly start: number;
  readonly expected: Uint8Array;
  readonly actual: Uint8Array;
  /** The parts of the window the verified image covers (ascending, half-open). */
  readonly expectedRanges: readonly AddressRange[];
  /** The parts of the window that were read back from the device. */
  readonly actualRanges: readonly AddressRange[];
}


/**
 * The programmer service. Main implements it (electron/main/programmer.ts); the renderer sees it as
 * Remote<Programmer>. Methods throw DfuError; over IPC that becomes { ok: false, error }.
 * At most one job runs per device; a second call while one runs fails with kind 'busy'.
 */
export interface Programmer {
  getSnapshot(): Promise<SessionSnapshot>;
  listDevices(): Promise<DeviceSummary[]>;
  connect(deviceId: string): Promise<DeviceInfo>;
  disconnect(): Promise<void>;
  openImage(source: ImageSource): Promise<ImageSummary | null>;
  reloadImage(): Promise<ImageSummary | null>;
  /**
   * Writes the loaded image as another format (core/image/convert.ts: .hex, .srec, .bin, .dfu) where
   * the user chooses; null when the save dialog was cancelled. The file is written all or nothing;
   * a write failure is an 'output-file' error. A .bin has no addresses: gaps take the connected
   * device's erased value (0xFF without one), and the log says where its first byte belongs.
   */
  saveImageAs(format: ImageSaveFormat): Promise<string | null>;
  planProgram(options: ProgramOptions): Promise<FlashPreview>;
  program(request: ProgramRequest): Promise<JobResult>;
  verify(): Promise<JobResult>;
  /**
   * Bytes of the last verification (program with verify, or verify) on the selected device, for
   * the diff viewer: at most MAX_VERIFY_WINDOW_BYTES per call, from what main kept; the device is
   * not accessed. Fails with 'invalid-argument' when there is no verification to show.
   */
  readVerifyBytes(range: AddressRange): Promise<VerifyBytes>;
  readMemory(request: ReadRequest): Promise<ImageSummary>;
  saveReadBack(format: SaveFormat): Promise<string | null>;
  erase(request: EraseRequest): Promise<JobResult>;
  readOptionBytes(): Promise<DecodedOptionBytes>;
  planOptionBytesWrite(changes: OptionChanges): Promise<OptionBytesWritePreview>;
  writeOptionBytes(request: OptionBytesWrite): Promise<JobResult>;
  readUnprotect(confirmation: { readonly eraseAllFlash: true }): Promise<JobResult>;
  leave(address?: number): Promise<JobResult>;
  cancel(): Promise<void>;
  getLog(): Promise<LogEntry[]>;
  exportLog(): Promise<string | null>;
  saveReport(): Promise<string | null>;
  updateSettings(patch: SettingsPatch): Promise<Settings>;
}

/**
 * Events pushed from main on one channel. Ordering guarantee: for a job, 'phase' start precedes
 * that phase's 'progress' events, which precede its 'phase' finish; a 'session' snapshot with the
 * job's result follows the last phase event. Progress is throttled in main to at most 20 Hz (the
 * last progress of a phase is always delivered).
 */
export type ProgrammerEvent =
  | { readonly type: 'session'; readonly session: SessionSnapshot }
  | { readonly type: 'phase'; readonly phase: Phase; readonly status: 'start' | 'finish'; readonly deviceId: string }
  | {
      readonly type: 'progress';
      readonly phase: Phase;
      readonly deviceId: string;
      readonly done: number;
      readonly total: number;
      readonly bytesPerSecond: number;
      readonly etaMs?: number;
    }
  | { readonly type: 'log'; readonly entry: LogEntry };

/** The method list that drives every piece of IPC plumbing. The compiler rejects a missing or extra name. */
export const programmerMethods: { readonly [K in keyof Programmer]: true } = {
  getSnapshot: true,
  listDevices: true,
  connect: true,
  disconnect: true,
  openImage: true,
  reloadImage: true,
  saveImageAs: true,
  planProgram: true,
  program: true,
  verify: true,
  readVerifyBytes: true,
  readMemory: true,
  saveReadBack: true,
  erase: true,
  readOptionBytes: true,
  planOptionBytesWrite: true,
  writeOptionBytes: true,
  readUnprotect: true,
  leave: true,
  cancel: true,
  getLog: true,
  exportLog: true,
  saveReport: true,
  updateSettings: true,
};

export type ProgrammerMethod = keyof Programmer;

export const methodNames = Object.keys(programmerMethods) as ProgrammerMethod[];

export function channelFor(method: ProgrammerMethod): `programmer:${ProgrammerMethod}` {
  return `programmer:${method}`;
}

export const EVENT_CHANNEL = 'programmer:event';

export type Result<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: DfuErrorInfo };

/** Each Promise<R> becomes Promise<Result<R>>: the renderer handles failure where it happens. */
export type Remote<T> = {
  [K in keyof T]: T[K] extends (...args: infer A) => Promise<infer R> ? (...args: A) => Promise<Result<R>> : never;
};

/** What window.programmer is: the contract plus the one event subscription. */
export type ProgrammerBridge = Remote<Programmer> & {
  onEvent(listener: (event: ProgrammerEvent) => void): () => void;
  /**
   * A token for a dropped or picked File: the preload derives its path itself (Electron's
   * webUtils.getPathForFile) and main grants the token. Undefined for a File that has no path on
   * disk, and always in a plain browser: the window then sends the file's bytes.
   */
  grantFile(file: unknown): Promise<FileGrant | undefined>;
  /**
   * True in the app (main shows the operating system's open dialog); false in a plain browser,
   * where the window picks files with its own file input and sends their bytes.
   */
  readonly hasNativeDialogs: boolean;
};

/** The preload's private channel for grantFile: not a contract method, never exposed to the page. */
export const GRANT_FILE_CHANNEL = 'programmer-preload:grant-file';
