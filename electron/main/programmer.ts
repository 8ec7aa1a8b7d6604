// The Programmer service (core/api.ts): owns the device list, one DfuseSession per open device, the
// loaded image, the plans, the jobs, the log and the settings. Free of `electron`: dialogs, files,
// paths and time come through Host, so vitest and the browser test host run it unchanged.
//
// Concurrency: one job per device ('busy' otherwise); jobs on different devices may run together
// (flash on connect). Events: see ProgrammerEvent in core/api.ts for the ordering guarantee; the
// job's 'session' snapshot is emitted after its last phase event.

import type {
  ConfirmationKind,
  DeviceInfo,
  DeviceSummary,
  EraseRequest,
  FileGrant,
  FlashPreview,
  FlashTally,
  ImageSaveFormat,
  ImageSource,
  ImageSummary,
  JobKind,
  JobFirmware,
  JobResult,
  LogEntry,
  OptionBytesWrite,
  OptionBytesWritePreview,
  Programmer,
  ProgrammerEvent,
  ProgramOptions,
  ProgramRequest,
  ReadRequest,
  SaveFormat,
  SessionSnapshot,
  Settings,
  SettingsPatch,
  VerifyBytes,
  VerifyReport,
} from '../../core/contract/programmer.js';
import { MAX_VERIFY_WINDOW_BYTES } from '../../core/contract/programmer.js';
import { toEngineOptions } from '../../core/contract/requests.js';
import { formatAddress, formatSize, formatUsbId } from '../../core/format.js';
import { familyFacts } from '../../core/devices/stm32.js';
import { bootloaderKey } from '../../core/dfuse/bootloaderKey.js';
import { regionRange } from '../../core/dfuse/memoryLayout.js';
import type { DecodedOptionBytes } from '../../core/dfuse/optionBytes.js';
import type { ProgramPlan } from '../../core/dfuse/plan.js';
import { mainFlashOf, optionBytesAlternateOf } from '../../core/dfuse/regionRole.js';
import { DfuseSession } from '../../core/dfuse/session.js';
import { boardMismatch, boardTargetOf, type BoardTarget } from '../../core/jobs/boardTarget.js';
import { checkConfirmed } from '../../core/jobs/confirmations.js';
import { prepareErase, runErase } from '../../core/jobs/eraseJob.js';
import { deviceContentOf, type DeviceContent } from '../../core/jobs/deviceContent.js';
import { flashReportInputOf, partialSectorProbes, planReadsOf, prepareFlash, probePartialSectors, runFlash, type FlashPreparation } from '../../core/jobs/flashJob.js';
import { flashPhases, singlePhase, type AnnouncedPhase } from '../../core/jobs/jobPhases.js';
import { optionBytesOfDevice, optionContextOf, prepareOptionBytesWrite, resetEndingText, runOptionBytesWrite } from '../../core/jobs/optionBytesJob.js';
import type { ResetOutcome } from '../../core/dfuse/resetOperations.js';
import { prepareRead } from '../../core/jobs/readJob.js';
import { DfuError, describe as describeError, isDfuError } from '../../core/errors.js';
import type { DfuErrorInfo } from '../../core/errors.js';
import { writeBinary } from '../../core/image/binary.js';
import { writeDfuFile } from '../../core/image/dfuFile.js';
import { writeIntelHex } from '../../core/image/intelHex.js';
import { MemoryImage } from '../../core/image/memoryImage.js';
import type { AddressRange } from '../../core/image/memoryImage.js';
import { buildFlashReport, renderReportJson } from '../../core/report/flashReport.js';
import type { FlashReportInput } from '../../core/report/flashReport.js';
import { renderReportHtml } from '../../core/report/renderHtml.js';
import { renderReportMarkdown } from '../../core/report/renderMarkdown.js';
import type { SimulatorBus } from '../../core/simulator/bus.js';
import type { BusEvent, UsbBus } from '../../core/usb/transport.js';
import { DeviceRegistry } from './deviceRegistry.js';
import type { Host } from './host.js';
import { ImageSlot } from './imageSlot.js';
import { SAVE_AS_CHOICES, convertLoadedImage, saveAsFileName, summarizeReadBack } from './loadedImage.js';
import { outputFormatOfFileName } from '../../core/image/convert.js';
import type { LoadedImage } from './loadedImage.js';
import { LogBook } from './logBook.js';
import { toFlashPreview } from './planSummary.js';
import { JobTable } from './jobTable.js';
import { FileGrants } from './fileGrants.js';
import { safeFileNamePart } from '../../core/fileNames.js';
import { defaultSettings, parseStoredSettings, withRecentFile } from './settings.js';

/** Demo boards offered when no hardware is attached: the founding case, a big F4, an H7. */
export const DEMO_PROFILES = ['stm32l073', 'stm32f405', 'stm32h743'] as const;
/** Demo boards come back in DFU mode this long after "leave", as if BOOT0 were held high. */
const DEMO_REENTER_AFTER_LEAVE_MS = 1500;
/** STM32 flash starts here on every family (RM0090 §3.3, RM0367 §3.3.1, ...). */
const STM32_FLASH_START = 0x0800_0000;

export interface ProgrammerServiceOptions {
  readonly host: Host;
  readonly simulatorBus: SimulatorBus;
  /** Real USB (NodeUsbBus); absent when the usb binary could not be loaded. */
  readonly hardwareBus?: UsbBus;
  /** Why there is no hardware bus, for the log. */
  readonly hardwareUnavailableReason?: string;
  /** DFU_SIMULATOR: "profile[:scenario]"; this device is created, always listed and connected. */
  readonly simulatorSpec?: string;
  /** Demo profiles added to the simulator bus when no spec is given. */
  readonly demoProfiles?: readonly string[];
}

interface OpenDevice {
  readonly session: DfuseSession;
  readonly info: DeviceInfo;
}

interface ReadBack {
  readonly image: MemoryImage;
  readonly summary: ImageSummary;
  readonly alternate: number;
  readonly info: DeviceInfo;
}

/** What "Save report" writes: the last program or verify job on the selected device. */
interface FlashRecord {
  readonly input: FlashReportInput;
}

/** What a verification compared, kept in main so the diff viewer can page through all of it. */
interface VerifiedContent {
  readonly expected: MemoryImage;
  readonly actual: MemoryImage;
}

type JobBody<T> = (context: {
  readonly session: DfuseSession;
  readonly info: DeviceInfo;
  readonly signal: AbortSignal;
}) => Promise<{ value: T; verify?: VerifyReport; verified?: VerifiedContent; readProtection?: 0 | 1 | 2 }>;

export class ProgrammerService implements Programmer {
  private readonly host: Host;
  private readonly options: ProgrammerServiceOptions;
  private readonly registry: DeviceRegistry;
  private readonly log: LogBook;
  private readonly listeners = new Set<(event: ProgrammerEvent) => void>();
  private readonly open = new Map<string, OpenDevice>();
  private contentCache: { readonly known: MemoryImage; readonly info: DeviceInfo; readonly content: DeviceContent } | undefined;
  /** Reads of partly covered sectors made for a plan preview, by device (at most one each). */
  private readonly probing = new Map<string, Promise<unknown>>();
  private readonly jobs: JobTable;
  private readonly unwatchBus: () => void;
  private selectedId: string | undefined;
  /** Connects and opens run one at a time, in arrival order: boards plugged in together are queued, not refused. */
  private openQueue: Promise<unknown> = Promise.resolve();
  /** With flash on connect: the kind of board it flashes (core/jobs/boardTarget.ts). */
  private flashOnConnectTarget: BoardTarget | undefined;
  /** Set while a device resets after an option-byte write or unprotect: reconnect when it is back. */
  private reconnectId: string | undefined;
  private readonly image: ImageSlot;
  /** The files the window may open, by token (fileGrants.ts). */
  private readonly grants: FileGrants;
  private preview: FlashPreview | undefined;
  private planOptions: ProgramOptions | undefined;
  private lastResult: JobResult | undefined;
  /** The bytes behind lastResult.verify, for readVerifyBytes. */
  private lastVerified: VerifiedContent | undefined;
  private optionBytes: DecodedOptionBytes | undefined;
  /** The connected chip's read protection: from its option bytes, or 1 when the bootloader refused a read for it. */
  private readProtection: 0 | 1 | 2 | undefined;
  private readBack: ReadBack | undefined;
  private lastFlash: FlashRecord | undefined;
  private tally: FlashTally = { passed: 0, failed: 0 };
  private settings: Settings = defaultSettings;

  private constructor(options: ProgrammerServiceOptions, settings: Settings) {
    this.options = options;
    this.host = options.host;
    this.settings = settings;
    const logDirectory = options.host.logDirectory;
    this.log = new LogBook({
      now: () => this.host.clock.now(),
      onEntry: (entry) => this.emit({ type: 'log', entry }),
      ...(logDirectory ? { file: { files: this.host.files, directory: logDirectory, joinPath: (directory: string, name: string) => this.host.joinPath(directory, name), minLevel: this.host.logLevel } } : {}),
    });
    this.grants = new FileGrants((path) => this.host.baseName(path));
    this.image = new ImageSlot({ host: this.host, log: this.log, grants: this.grants, onStale: () => this.emitSession() });
    this.jobs = new JobTable({
      now: () => this.host.clock.now(),
      emit: (event) => this.emit(event),
      log: this.log,
      onPhaseStart: (deviceId) => {
        if (this.selectedId === deviceId) this.emitSession();
      },
    });
    let hasReportedHardwareError = false;
    this.registry = new DeviceRegistry({
      ...(options.hardwareBus ? { hardware: options.hardwareBus } : {}),
      simulator: options.simulatorBus,
      isSimulatorForced: options.simulatorSpec !== undefined,
      showSimulated: settings.showSimulatedDevices,
      isPinned: (id) => this.open.has(id),
      onHardwareError: (error) => {
        if (hasReportedHardwareError) return;
        hasReportedHardwareError = true;
        this.log.add('warn', 'usb', `listing USB devices failed: ${messageOf(error)}`);
      },
    });
    this.unwatchBus = this.registry.watch((event) => void this.onBusEvent(event));
  }

  /** Loads the settings, creates the simulated devices, lists devices, connects the DFU_SIMULATOR device. */
  static async create(options: ProgrammerServiceOptions): Promise<ProgrammerService> {
    const settings = parseStoredSettings(await options.host.settings.load());
    const service = new ProgrammerService(options, settings);
    await service.start();
    return service;
  }

  private async start(): Promise<void> {
    const { simulatorBus, simulatorSpec, hardwareBus, hardwareUnavailableReason } = this.options;
    this.log.add('info', 'app', `DFU Desk ${this.host.appVersion} started`);
    if (!hardwareBus) this.log.add('warn', 'usb', `USB access unavailable: ${hardwareUnavailableReason ?? 'no USB backend'}; simulated devices only`);
    let forced: string | undefined;
    if (simulatorSpec !== undefined) {
      forced = simulatorBus.addSpec(simulatorSpec).summary.id;
      this.log.add('info', 'app', `DFU_SIMULATOR=${simulatorSpec}: simulated device ${forced}`);
    } else {
      for (const profile of this.options.demoProfiles ?? DEMO_PROFILES) {
        simulatorBus.addSpec(profile, { reenterAfterLeaveMs: DEMO_REENTER_AFTER_LEAVE_MS });
      }
    }
    await this.registry.refresh();
    if (forced) {
      try {
        await this.connect(forced);
      } catch (error) {
        this.log.add('error', 'app', `could not connect ${forced}: ${messageOf(error)}`, forced);
      }
    }
    this.emitSession();
  }

  // ------------------------------------------------------------------------------------------
  // Events and state

  onEvent(listener: (event: ProgrammerEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** True while any device is being erased or written (the window asks before closing). */
  isWriting(): boolean {
    return this.jobs.isWriting();
  }

  async dispose(): Promise<void> {
    this.jobs.abortAll();
    this.unwatchBus();
    this.image.dispose();
    await Promise.all([...this.open.values()].map((device) => device.session.close()));
    this.open.clear();
    await this.log.flush();
  }

  private emit(event: ProgrammerEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (error) {
        this.host.reportBug?.(error);
      }
    }
  }

  /** The selected device's known content per sector, computed again only when it changed. */
  private deviceContentOf(device: OpenDevice): DeviceContent {
    const known = device.session.knownContent;
    if (this.contentCache?.known !== known || this.contentCache.info !== device.info) {
      this.contentCache = { known, info: device.info, content: deviceContentOf(device.info, known) };
    }
    return this.contentCache.content;
  }

  private emitSession(): void {
    this.emit({ type: 'session', session: this.snapshot() });
  }

  private snapshot(): SessionSnapshot {
    const selected = this.selectedId ? this.open.get(this.selectedId) : undefined;
    const job = this.selectedId ? this.jobs.get(this.selectedId) : undefined;
    return {
      devices: this.registry.devices,
      ...(this.selectedId && selected ? { selectedDeviceId: this.selectedId, device: selected.info, bootloaderKey: bootloaderKey(selected.info) } : {}),
      ...(this.image.loaded ? { image: this.image.loaded.summary } : {}),
      ...(this.preview ? { preview: this.preview } : {}),
      ...(job ? { job: { ...job.state } } : {}),
      ...(this.lastResult ? { lastResult: this.lastResult } : {}),
      ...(this.optionBytes ? { optionBytes: this.optionBytes } : {}),
      ...(this.readProtection !== undefined ? { readProtection: this.readProtection } : {}),
      isImageStale: this.image.isStale,
      ...(this.readBack ? { readBack: this.readBack.summary } : {}),
      ...(selected && !selected.session.knownContent.isEmpty ? { deviceContent: this.deviceContentOf(selected) } : {}),
      tally: this.tally,
      ...(this.settings.flashOnConnect && this.flashOnConnectTarget ? { flashOnConnectTarget: this.flashOnConnectTarget.label } : {}),
      settings: this.settings,
      recentFiles: this.settings.recentFiles.map((path) => this.grants.grant(path)),
    };
  }

  // ------------------------------------------------------------------------------------------
  // Programmer: devices

  getSnapshot(): Promise<SessionSnapshot> {
    return this.guard('getSnapshot', () => Promise.resolve(this.snapshot()));
  }

  listDevices(): Promise<DeviceSummary[]> {
    return this.guard('listDevices', async () => {
      const devices = await this.registry.refresh();
      this.emitSession();
      return devices;
    });
  }

  connect(deviceId: string): Promise<DeviceInfo> {
    return this.guard('connect', () => this.serially(() => this.connectNow(deviceId)));
  }

  /** Runs `body` after every connect or open queued before it (boards plugged in together wait their turn). */
  private serially<T>(body: () => Promise<T>): Promise<T> {
    const run = this.openQueue.then(body, body);
    this.openQueue = run.catch(() => undefined);
    return run;
  }

  private async connectNow(deviceId: string): Promise<DeviceInfo> {
    // Already connected: a no-op, so clicking the selected board (or the DFU_SIMULATOR board
    // connected at start) keeps its session, option bytes and plan, even mid-job.
    if (this.selectedId === deviceId) {
      const current = this.open.get(deviceId);
      if (current) return current.info;
    }
    if (this.selectedId && this.jobs.has(this.selectedId)) {
      throw new DfuError({ kind: 'busy', reason: `a ${this.jobs.get(this.selectedId)!.kind} job is running on ${this.selectedId}` });
    }
    if (!this.registry.isListed(deviceId)) await this.registry.refresh();
    if (!this.registry.isListed(deviceId)) throw new DfuError({ kind: 'no-device', selector: deviceId });
    try {
      await this.closeSelected();
      const device = await this.openDevice(deviceId);
      this.selectedId = deviceId;
      this.optionBytes = undefined;
      this.readProtection = undefined;
      this.preview = undefined;
      this.log.add('info', 'app', `connected to ${describeDevice(device.info)}`, deviceId);
      this.replan();
      await this.readOptionBytesOnConnect(deviceId, device);
      return device.info;
    } finally {
      this.emitSession();
    }
  }

  /**
   * The option bytes are small: read them as the board connects, so its row shows read protection
   * and the Option bytes tab is filled. A failure is logged, never fails the connect.
   */
  private async readOptionBytesOnConnect(deviceId: string, device: OpenDevice): Promise<void> {
    if (!optionBytesAlternateOf(device.info)) return;
    try {
      this.optionBytes = optionBytesOfDevice([await device.session.readOptionBytes({})], device.info)[0];
      if (this.optionBytes?.hasRdp) this.readProtection = this.optionBytes.rdpLevel;
      const level = this.optionBytes?.hasRdp ? `read protection level ${this.optionBytes.rdpLevel}` : 'no read-protection byte';
      this.log.add('info', 'option-bytes', `option bytes read: ${level}`, deviceId);
    } catch (error) {
      // A bootloader that refuses the read for read protection has told us the level all the same.
      if (isDfuError(error, 'read-protected')) {
        this.readProtection = 1;
        this.log.add('info', 'option-bytes', 'option bytes not readable: the chip is read-protected (level 1)', deviceId);
      } else {
        this.log.add('warn', 'option-bytes', `option bytes not read: ${messageOf(error)}`, deviceId);
      }
    }
  }

  disconnect(): Promise<void> {
    return this.guard('disconnect', async () => {
      if (!this.selectedId) return;
      this.jobs.ensureIdle(this.selectedId);
      const id = this.selectedId;
      await this.closeSelected();
      this.log.add('info', 'app', 'disconnected', id);
      this.emitSession();
    });
  }

  private async openDevice(deviceId: string): Promise<OpenDevice> {
    const existing = this.open.get(deviceId);
    if (existing) return existing;
    const opened = await this.registry.open(deviceId);
    const session = await DfuseSession.open(opened, {
      clock: this.host.clock,
      onEvent: (event) => this.jobs.onSessionEvent(deviceId, event),
    });
    const device = { session, info: session.info };
    this.open.set(deviceId, device);
    return device;
  }

  private async closeDevice(deviceId: string): Promise<void> {
    const device = this.open.get(deviceId);
    if (!device) return;
    this.open.delete(deviceId);
    await device.session.close();
  }

  private async closeSelected(): Promise<void> {
    const id = this.selectedId;
    this.selectedId = undefined;
    this.preview = undefined;
    this.optionBytes = undefined;
    this.readProtection = undefined;
    if (id) await this.closeDevice(id);
  }

  private async onBusEvent(event: BusEvent): Promise<void> {
    try {
      await this.registry.refresh();
      if (event.type === 'detach') {
        if (this.open.has(event.id) && !this.jobs.has(event.id)) {
          this.log.add('warn', 'usb', 'device disconnected', event.id);
          if (this.selectedId === event.id) {
            await this.closeSelected();
            this.reselectWhenBack(event.id);
          } else await this.closeDevice(event.id);
        }
      } else {
        const id = event.device.id;
        this.log.add('info', 'usb', `device attached: ${event.device.product ?? 'DFU device'} (${id})`, id);
        if (this.reconnectId === id) {
          this.reconnectId = undefined;
          await this.connect(id);
        } else if (this.settings.flashOnConnect && this.image.loaded && !this.jobs.has(id)) {
          await this.flashOnConnect(id);
        }
      }
    } catch (error) {
      this.log.add('error', 'usb', `after ${event.type}: ${messageOf(error)}`);
    } finally {
      this.emitSession();
    }
  }

  // ------------------------------------------------------------------------------------------
  // Programmer: image and plan

  openImage(source: ImageSource): Promise<ImageSummary | null> {
    return this.guard('openImage', async () => {
      const loaded = await this.image.open(source, this.defaultRegion());
      if (!loaded) return null;
      // The last result was about the file before this one: it must not read as this file's.
      if (this.lastResult && !this.jobs.has(this.lastResult.deviceId)) {
        this.lastResult = undefined;
        this.lastVerified = undefined;
      }
      this.replan();
      if (loaded.summary.path !== undefined) await this.saveSettings(withRecentFile(this.settings, loaded.summary.path));
      this.emitSession();
      return loaded.summary;
    });
  }

  /**
   * A token for a file the user chose outside the contract: dropped on the window (the preload
   * derived its path, ipc.ts) or picked in the Open Recent menu. Not a Programmer method.
   */
  grantFile(path: string): FileGrant {
    return this.grants.grant(path);
  }

  reloadImage(): Promise<ImageSummary | null> {
    return this.guard('reloadImage', async () => {
      const source = this.image.reloadSource;
      return source ? this.openImage(source) : null;
    });
  }

  saveImageAs(format: ImageSaveFormat): Promise<string | null> {
    return this.guard('saveImageAs', async () => {
      const loaded = this.requireImage();
      const choice = SAVE_AS_CHOICES[format];
      // A raw binary's gaps take the erased value of the flash it is for (0x00 on STM32L0/L1).
      const info = this.selectedId ? this.open.get(this.selectedId)?.info : undefined;
      const fill = info ? familyFacts(info.family).erasedValue : 0xff;
      // Converted before asking where: an image that cannot be written so is refused first.
      let output = convertLoadedImage(loaded, choice.format, fill);
      const path = await this.host.dialogs.saveFile({
        title: `Save ${loaded.summary.fileName} as`,
        defaultName: saveAsFileName(loaded.summary.fileName, choice.extension),
        filters: [choice.filter],
      });
      if (path === undefined) return null;
      // The name the user typed names the format, as it does when a file is opened.
      const named = outputFormatOfFileName(path);
      if (named !== undefined && named !== choice.format) output = convertLoadedImage(loaded, named, fill);
      await this.host.files.writeFile(path, output.bytes);
      this.log.add('info', 'app', `saved ${loaded.summary.fileName} as ${path}: ${output.note}`);
      return path;
    });
  }

  planProgram(options: ProgramOptions): Promise<FlashPreview> {
    return this.guard('planProgram', async () => {
      const { deviceId, info } = this.requireSelected();
      const loaded = this.requireImage();
      // A partly covered sector is asked about only when it holds data: its bytes outside the image
      // are read first (core/jobs probePartialSectors, one read per head or tail, once per session).
      const prepared = await this.probedPreparation(deviceId, this.prepareFlashOf(info, loaded, 'flash', options, this.knownContentOf(deviceId)));
      const preview = toFlashPreview(prepared);
      this.preview = preview;
      this.planOptions = options;
      this.emitSession();
      return preview;
    });
  }

  /** What the session of `deviceId` has read and not changed since (empty without one). */
  private knownContentOf(deviceId: string): MemoryImage {
    return this.open.get(deviceId)?.session.knownContent ?? MemoryImage.empty;
  }

  /**
   * Reads the partly covered sectors' outside bytes, and what a differential or preserve plan reads
   * first, when the device is free (not during a job), so the preview is the plan the job runs; a
   * job that starts meanwhile waits for the read. A read that fails leaves the plan as it was (the
   * dialog then asks, as it must when nothing is known).
   */
  private async probedPreparation(deviceId: string, prepared: FlashPreparation): Promise<FlashPreparation> {
    const device = this.open.get(deviceId);
    const reads = { evenWhenReadFirst: true, withPlanReads: true };
    if (!device || (partialSectorProbes(prepared, reads).length === 0 && planReadsOf(prepared).length === 0) || this.jobs.has(deviceId)) return prepared;
    const earlier = this.probing.get(deviceId);
    if (earlier) await earlier.catch(() => undefined);
    if (this.jobs.has(deviceId) || this.open.get(deviceId) !== device) return prepared;
    const probe = probePartialSectors(device.session, prepared, {}, reads);
    this.probing.set(deviceId, probe);
    try {
      return await probe;
    } catch (error) {
      this.log.add('warn', 'plan', `could not read the partly covered sectors first: ${messageOf(error)}`, deviceId);
      return prepared;
    } finally {
      if (this.probing.get(deviceId) === probe) this.probing.delete(deviceId);
    }
  }

  private tryPrepare(info: DeviceInfo, loaded: LoadedImage, options: ProgramOptions): FlashPreparation | undefined {
    try {
      return this.prepareFlashOf(info, loaded, 'flash', options);
    } catch {
      return undefined;
    }
  }

  /** The job layer's plan for `loaded` on `info` (the same the CLI makes), with this bootloader's saved flash size. */
  private prepareFlashOf(info: DeviceInfo, loaded: LoadedImage, kind: 'flash' | 'verify', options: ProgramOptions, known?: MemoryImage): FlashPreparation {
    return prepareFlash(
      info,
      {
        kind,
        source: { fileName: loaded.summary.fileName, bytes: loaded.bytes, ...(loaded.format !== undefined ? { format: loaded.format } : {}) },
        placement: loaded.baseAddress !== undefined ? { baseAddress: loaded.baseAddress } : {},
        // The contract's options become the engine's, with the saved flash size unless the call gave one.
        options: toEngineOptions(options, this.savedFlashSize(info)),
      },
      known,
    );
  }

  /**
   * The flash size the user saved for this device's bootloader (settings.flashSizeLimits, keyed by
   * bootloaderKey): it follows boards of that kind only, never the next unrelated device.
   */
  private savedFlashSize(info: DeviceInfo): number | undefined {
    const key = bootloaderKey(info);
    return Object.hasOwn(this.settings.flashSizeLimits, key) ? this.settings.flashSizeLimits[key] : undefined;
  }

  /** Keeps the plan preview in step with the image and device; a plan that fails is shown as none. */
  private replan(): void {
    this.preview = undefined;
    const device = this.selectedId ? this.open.get(this.selectedId) : undefined;
    const loaded = this.image.loaded;
    if (!device || !loaded) return;
    try {
      this.preview = toFlashPreview(this.prepareFlashOf(device.info, loaded, 'flash', this.planOptions ?? this.settings.programOptions, device.session.knownContent));
    } catch (error) {
      this.log.add('warn', 'plan', `the image cannot be programmed on this device: ${messageOf(error)}`, this.selectedId);
    }
  }

  /** Where a raw binary goes by default: the first region of the connected device, else STM32 flash. */
  private defaultRegion(): { start: number; name: string } {
    const info = this.selectedId ? this.open.get(this.selectedId)?.info : undefined;
    const layout = (info ? (mainFlashOf(info) ?? info.alternates.find((alternate) => alternate.layout)) : undefined)?.layout;
    return layout ? { start: regionRange(layout.region).start, name: layout.region.name } : { start: STM32_FLASH_START, name: 'STM32 internal flash' };
  }

  // ------------------------------------------------------------------------------------------
  // Programmer: jobs

  program(request: ProgramRequest): Promise<JobResult> {
    return this.guard('program', async () => {
      const { deviceId, info } = this.requireSelected();
      const loaded = this.requireImage();
      this.planOptions = request.options;
      const confirmed = request.confirmed ?? [];
      // A missing confirmation is refused before a job starts (the job checks again); an image that
      // cannot be planned fails inside the job, so the result panel says why.
      const needed = this.tryPrepare(info, loaded, request.options)?.confirmations;
      if (needed) checkConfirmed(needed, confirmed);
      return this.programDevice(deviceId, loaded, request.options, confirmed, false);
    });
  }

  verify(): Promise<JobResult> {
    return this.guard('verify', async () => {
      const { deviceId, info } = this.requireSelected();
      const loaded = this.requireImage();
      const startedAt = this.host.clock.now();
      const prepared = this.prepareFlashOf(info, loaded, 'verify', this.planOptions ?? this.settings.programOptions);
      const { result } = await this.runJob(
        'verify',
        deviceId,
        async ({ session, signal }) => {
          const outcome = await runFlash(session, prepared, { confirmed: [], signal });
          return { value: undefined, verify: outcome.verify, verified: verifiedContent(expectedOf(outcome.plans), session) };
        },
        flashPhases(prepared),
        () => jobFirmwareOf(loaded, undefined),
      );
      this.recordFlash(prepared, loaded, startedAt, result, undefined);
      return result;
    });
  }

  readVerifyBytes(range: AddressRange): Promise<VerifyBytes> {
    return this.guard('readVerifyBytes', () => {
      // Checked here too: in-process callers (the test host, tests) do not pass through IPC validation.
      const length = range.end - range.start;
      if (!Number.isInteger(range.start) || !Number.isInteger(range.end) || range.start < 0 || length <= 0 || length > MAX_VERIFY_WINDOW_BYTES) {
        throw new DfuError({ kind: 'invalid-argument', argument: 'range', reason: `expected 1 to ${MAX_VERIFY_WINDOW_BYTES} bytes from a non-negative address` });
      }
      const verified = this.lastVerified;
      if (!verified) throw new DfuError({ kind: 'invalid-argument', argument: 'verification', reason: 'no verification has run since the last job' });
      const window = { start: range.start, end: range.end };
      const expected = verified.expected.slice(window);
      const actual = verified.actual.slice(window);
      return Promise.resolve({
        start: range.start,
        expected: expected.read(window, 0),
        actual: actual.read(window, 0),
        expectedRanges: expected.ranges,
        actualRanges: actual.ranges,
      });
    });
  }

  readMemory(request: ReadRequest): Promise<ImageSummary> {
    return this.guard('readMemory', async () => {
      const { deviceId, info } = this.requireSelected();
      // The Flash tab's flash size also protects reads: above the real flash the L072xB BL hangs.
      const { alternate, range } = prepareRead(info, request, this.savedFlashSize(info));
      const { result, value } = await this.runJob(
        'read',
        deviceId,
        async ({ session, signal }) => ({ value: await session.read(alternate, range, { signal }) }),
        singlePhase('read', range.end - range.start),
      );
      if (!result.ok || !value) throw new DfuError(result.ok ? { kind: 'internal', message: 'read returned nothing' } : result.error);
      // The serial is whatever the firmware reports: made safe as a file name on every OS.
      const name = `${safeFileNamePart(info.serialNumber, 'device')}-${formatAddress(request.start)}-${request.length}`;
      const summary = summarizeReadBack(value, name, this.host.clock.now());
      this.readBack = { image: value, summary, alternate, info };
      this.emitSession();
      return summary;
    });
  }

  saveReadBack(format: SaveFormat): Promise<string | null> {
    return this.guard('saveReadBack', async () => {
      const readBack = this.readBack;
      if (!readBack) throw new DfuError({ kind: 'invalid-argument', argument: 'readBack', reason: 'nothing has been read from a device yet' });
      const filters = { hex: { name: 'Intel HEX', extensions: ['hex'] }, bin: { name: 'Raw binary', extensions: ['bin'] }, dfu: { name: 'DfuSe file', extensions: ['dfu'] } };
      const path = await this.host.dialogs.saveFile({
        title: 'Save read-back',
        defaultName: `${readBack.summary.fileName}.${format}`,
        filters: [filters[format]],
      });
      if (path === undefined) return null;
      await this.host.files.writeFile(path, encodeReadBack(readBack, format));
      this.log.add('info', 'read', `saved ${formatSize(readBack.summary.sizeBytes)} read back as ${path}`);
      return path;
    });
  }

  erase(request: EraseRequest): Promise<JobResult> {
    return this.guard('erase', async () => {
      const { deviceId, info } = this.requireSelected();
      // The same rules as `dfu-desk erase`: whole sectors below the saved flash size, a mass erase
      // for the main flash only (core/jobs/eraseJob.ts).
      const prepared = prepareErase(
        info,
        request.kind === 'mass'
          ? { kind: 'mass', ...(request.alternate !== undefined ? { alternate: request.alternate } : {}) }
          : { kind: 'range', alternate: request.alternate, range: { start: request.start, end: request.start + request.length } },
        this.savedFlashSize(info),
      );
      for (const warning of prepared.warnings) this.log.add('warn', 'erase', warning, deviceId);
      const { result } = await this.runJob(
        'erase',
        deviceId,
        async ({ session, signal }) => {
          await runErase(session, prepared, signal);
          return { value: undefined };
        },
        singlePhase('erase', prepared.sectors.reduce((total, sector) => total + (sector.end - sector.start), 0)),
      );
      return result;
    });
  }

  readOptionBytes(): Promise<DecodedOptionBytes> {
    return this.guard('readOptionBytes', async () => {
      const { deviceId } = this.requireSelected();
      const { result, value } = await this.runJob(
        'option-bytes-read',
        deviceId,
        async ({ session, signal }) => ({
          // Decoded with the device's flash: sector names, and the bits only some parts of a family have.
          value: optionBytesOfDevice([await session.readOptionBytes({ signal })], session.info)[0],
        }),
        singlePhase('option-bytes-read'),
      );
      if (!result.ok || !value) throw new DfuError(result.ok ? { kind: 'internal', message: 'no option bytes' } : result.error);
      this.optionBytes = value;
      if (value.hasRdp) this.readProtection = value.rdpLevel;
      this.emitSession();
      return value;
    });
  }

  planOptionBytesWrite(changes: Readonly<Record<string, number>>): Promise<OptionBytesWritePreview> {
    return this.guard('planOptionBytesWrite', async () => {
      const { info } = this.requireSelected();
      const current = this.optionBytes ?? (await this.readOptionBytes());
      const plan = prepareOptionBytesWrite([current], changes, optionContextOf(info));
      return { address: plan.address, changes: plan.changes.map((c) => ({ ...c })), confirmations: plan.confirmations.map((c) => ({ ...c })) };
    });
  }

  writeOptionBytes(request: OptionBytesWrite): Promise<JobResult> {
    return this.guard('writeOptionBytes', async () => {
      const { deviceId, info } = this.requireSelected();
      const current = this.optionBytes ?? (await this.readOptionBytes());
      // Validation (fields, complement pairs) and the confirmations happen before anything is sent.
      const plan = prepareOptionBytesWrite([current], request.changes, optionContextOf(info));
      const confirmed = request.confirmed ?? [];
      checkConfirmed(plan.confirmations, confirmed);
      const rdpChanges = plan.after.hasRdp && plan.after.rdpLevel !== current.rdpLevel;
      let outcome: ResetOutcome = 'reset';
      const { result } = await this.runJob(
        'option-bytes-write',
        deviceId,
        async ({ session, signal }) => {
          outcome = await runOptionBytesWrite(session, plan, { confirmed, signal });
          // Without a reset the chip still runs with the old values: its protection has not changed yet.
          return { value: undefined, ...(rdpChanges && outcome === 'reset' ? { readProtection: plan.after.rdpLevel } : {}) };
        },
        singlePhase('option-bytes-write', plan.raw.length),
      );
      if (result.ok) await this.awaitReset(deviceId, resetEndingText('option-bytes', outcome));
      return result;
    });
  }

  readUnprotect(confirmation: { readonly eraseAllFlash: true }): Promise<JobResult> {
    return this.guard('readUnprotect', async () => {
      // Checked here too: in-process callers (the test host, tests) do not pass through IPC validation.
      if ((confirmation as { eraseAllFlash?: unknown } | undefined)?.eraseAllFlash !== true) {
        throw new DfuError({ kind: 'confirmation-required', action: 'read-unprotect', reason: 'read unprotect mass-erases the flash' });
      }
      const { deviceId } = this.requireSelected();
      let outcome: ResetOutcome = 'reset';
      const { result } = await this.runJob(
        'read-unprotect',
        deviceId,
        async ({ session }) => {
          outcome = await session.readUnprotect({ iUnderstandTheFlashIsErased: true });
          return { value: undefined, ...(outcome === 'reset' ? { readProtection: 0 as const } : {}) };
        },
        singlePhase('read-unprotect'),
      );
      if (result.ok) await this.awaitReset(deviceId, resetEndingText('read-unprotect', outcome));
      return result;
    });
  }

  leave(address?: number): Promise<JobResult> {
    return this.guard('leave', async () => {
      const { deviceId } = this.requireSelected();
      const { result } = await this.runJob(
        'leave',
        deviceId,
        async ({ session, signal }) => {
          await session.leave(address, { signal });
          return { value: undefined };
        },
        singlePhase('leave'),
      );
      if (result.ok) {
        this.log.add('info', 'leave', `left DFU mode; the application starts${address !== undefined ? ` at ${formatAddress(address)}` : ''}`, deviceId);
        if (this.selectedId === deviceId) {
          await this.closeSelected();
          this.reselectWhenBack(deviceId);
        }
        this.emitSession();
      }
      return result;
    });
  }

  cancel(): Promise<void> {
    return this.guard('cancel', () => {
      this.jobs.cancel(this.selectedId !== undefined && this.jobs.has(this.selectedId) ? this.selectedId : undefined);
      return Promise.resolve();
    });
  }

  /** Programs one device with the loaded image; `isAutomatic` marks flash-on-connect (counted in the tally). */
  private async programDevice(
    deviceId: string,
    loaded: LoadedImage,
    options: ProgramOptions,
    confirmed: readonly ConfirmationKind[],
    isAutomatic: boolean,
  ): Promise<JobResult> {
    const startedAt = this.host.clock.now();
    const info = this.open.get(deviceId)?.info;
    let prepared: FlashPreparation | undefined;
    let plans: readonly ProgramPlan[] | undefined;
    let blankSectors: Readonly<Record<number, readonly number[]>> = {};
    let hasLeft = false;
    let hasWrittenOptionBytes = false;
    const { result } = await this.runJob('program', deviceId, async ({ session, signal, info: deviceInfo }) => {
      // The same preparation the CLI runs: every .dfu target, the saved flash size, the confirmations.
      prepared = this.prepareFlashOf(deviceInfo, loaded, 'flash', options, session.knownContent);
      // The window lays out the steps from the plan before the first one starts.
      this.jobs.announce(deviceId, flashPhases(prepared));
      if (this.selectedId === deviceId) this.emitSession();
      const outcome = await runFlash(session, prepared, { confirmed, signal });
      plans = outcome.plans;
      blankSectors = outcome.result?.blankSectors ?? {};
      hasLeft = outcome.hasLeft;
      hasWrittenOptionBytes = outcome.hasWrittenOptionBytes;
      for (const note of outcome.notes) this.log.add(outcome.verify && !outcome.verify.isMatch ? 'warn' : 'info', 'program', note, deviceId);
      if (!outcome.verify) return { value: undefined };
      return { value: undefined, verify: outcome.verify, verified: verifiedContent(expectedOf(outcome.plans), session) };
    }, [], () => jobFirmwareOf(loaded, plans, blankSectors));
    if (isAutomatic) {
      this.tally = result.ok ? { ...this.tally, passed: this.tally.passed + 1 } : { ...this.tally, failed: this.tally.failed + 1 };
      this.log.add(result.ok ? 'info' : 'error', 'flash-on-connect', `${result.ok ? 'PASS' : 'FAIL'}: board ${this.tally.passed + this.tally.failed}`, deviceId);
    }
    if (info && prepared) this.recordFlash(prepared, loaded, startedAt, result, plans);
    // The job's notes (logged above) say whether the bootloader reset to apply them.
    if (hasWrittenOptionBytes) await this.awaitReset(deviceId, 'option bytes from the file written; reconnecting to read them back');
    else if (hasLeft && this.selectedId === deviceId) await this.closeSelected();
    this.emitSession();
    return result;
  }

  private async flashOnConnect(deviceId: string): Promise<void> {
    const loaded = this.image.loaded;
    if (!loaded) return;
    this.log.add('info', 'flash-on-connect', `flashing ${loaded.summary.fileName}`, deviceId);
    let info: DeviceInfo;
    try {
      info = await this.serially(async () => {
        const isSelectedFree = !this.selectedId || !this.jobs.has(this.selectedId);
        return isSelectedFree ? this.connectNow(deviceId) : (await this.openDevice(deviceId)).info;
      });
    } catch (error) {
      this.tally = { ...this.tally, failed: this.tally.failed + 1 };
      this.log.add('error', 'flash-on-connect', `FAIL: cannot open the device: ${messageOf(error)}`, deviceId);
      return;
    }
    // Only the kind of board the plan was made for: an L073 image must not land on an F405.
    this.flashOnConnectTarget ??= boardTargetOf(info);
    const mismatch = boardMismatch(this.flashOnConnectTarget, info);
    if (mismatch) {
      this.tally = { ...this.tally, failed: this.tally.failed + 1 };
      this.log.add('error', 'flash-on-connect', `REFUSED: ${mismatch}; this run flashes ${this.flashOnConnectTarget.label}`, deviceId);
      if (this.selectedId !== deviceId) await this.closeDevice(deviceId);
      this.emitSession();
      return;
    }
    // Nobody is there to confirm: an image that needs a confirmation is refused by the job itself.
    await this.programDevice(deviceId, loaded, this.settings.programOptions, [], true);
    if (this.selectedId !== deviceId) await this.closeDevice(deviceId);
  }

  /**
   * Runs one job on one device: the busy check, the AbortController, phase/progress events and
   * timings, and the JobResult. A job failure is a result (ok false), not a throw.
   */
  /** Runs `body` as the device's job; `phases` are announced to the window before it starts (a flash job announces them once planned). */
  private async runJob<T>(
    kind: JobKind,
    deviceId: string,
    body: JobBody<T>,
    phases: readonly AnnouncedPhase[] = [],
    /** The file a flash or verify job is about, asked when the result is made (also after a failure). */
    firmwareOf?: () => JobFirmware,
  ): Promise<{ result: JobResult; value?: T }> {
    // A plan's read of partly covered sectors finishes before a job uses the same device.
    const probe = this.probing.get(deviceId);
    if (probe) await probe.catch(() => undefined);
    this.jobs.ensureIdle(deviceId);
    const device = this.open.get(deviceId);
    if (!device) throw new DfuError({ kind: 'no-device', selector: deviceId });
    const job = this.jobs.start(kind, deviceId, phases);
    const { controller } = job;
    // Decided now: a device that vanishes mid-job is deselected below, and the window must still
    // get the result that says why the job failed.
    const isSelected = this.selectedId === deviceId;
    if (isSelected) {
      this.lastResult = undefined;
      this.lastVerified = undefined;
    }
    this.emitSession();
    let result: JobResult;
    let value: T | undefined;
    let verified: VerifiedContent | undefined;
    let readProtection: 0 | 1 | 2 | undefined;
    try {
      const outcome = await body({ session: device.session, info: device.info, signal: controller.signal });
      value = outcome.value;
      verified = outcome.verified;
      readProtection = outcome.readProtection;
      const verify = outcome.verify;
      if (verify && !verify.isMatch) {
        const error: DfuErrorInfo = {
          kind: 'verify-mismatch',
          firstAddress: verify.firstMismatch ?? 0,
          count: verify.mismatchCount,
          ranges: verify.mismatchRanges.length,
        };
        result = { kind, ok: false, deviceId, ...(firmwareOf ? { firmware: firmwareOf() } : {}), error, timings: job.timings, verify, finishedAt: this.host.clock.now() };
      } else {
        result = {
          kind,
          ok: true,
          deviceId,
          ...(firmwareOf ? { firmware: firmwareOf() } : {}),
          timings: job.timings,
          ...(verify ? { verify } : {}),
          ...(readProtection !== undefined ? { readProtection } : {}),
          finishedAt: this.host.clock.now(),
        };
      }
    } catch (error) {
      const info = this.errorInfo(error, kind, deviceId);
      result = { kind, ok: false, deviceId, ...(firmwareOf ? { firmware: firmwareOf() } : {}), error: info, timings: job.timings, finishedAt: this.host.clock.now() };
      if (info.kind === 'read-protected' && isSelected) this.readProtection = 1;
      // A board pulled mid-job may surface as a plain transfer error: whatever the error, a device
      // that is no longer attached gets its session closed, so a replug opens a fresh one.
      await this.registry.refresh();
      if (info.kind === 'device-gone' || !this.registry.isListed(deviceId)) await this.forgetGoneDevice(deviceId);
    } finally {
      this.jobs.finish(deviceId);
    }
    this.logResult(result);
    if (isSelected) {
      this.lastResult = result;
      this.lastVerified = result.verify ? verified : undefined;
    }
    this.emitSession();
    return value === undefined ? { result } : { result, value };
  }

  private logResult(result: JobResult): void {
    const seconds = (result.timings.reduce((sum, timing) => sum + timing.elapsedMs, 0) / 1000).toFixed(1);
    if (result.ok) {
      this.log.add('info', result.kind, `${result.kind} finished in ${seconds} s${result.verify ? `; verified ${formatSize(result.verify.bytesCompared)}` : ''}`, result.deviceId);
    } else {
      this.log.add(result.error.kind === 'cancelled' ? 'warn' : 'error', result.kind, `${result.kind} failed: ${describeError(result.error)}`, result.deviceId);
    }
  }

  /** A device vanished mid-job: close its session; it is reopened (and selected again) when it comes back. */
  private async forgetGoneDevice(deviceId: string): Promise<void> {
    if (this.selectedId === deviceId) {
      await this.closeSelected();
      this.reselectWhenBack(deviceId);
    } else await this.closeDevice(deviceId);
    await this.registry.refresh();
  }

  /**
   * The board on screen went away (unplugged, reset, left DFU mode): when the same device (same
   * id, that is the same USB path) comes back, it is connected and selected again. Not in flash on
   * connect, where the next board on that port is a new board to flash.
   */
  private reselectWhenBack(deviceId: string): void {
    if (!this.settings.flashOnConnect) this.reconnectId = deviceId;
  }

  /** After an option-byte write or unprotect the device resets and re-enumerates: reconnect then. */
  private async awaitReset(deviceId: string, message: string): Promise<void> {
    this.log.add('info', 'option-bytes', message, deviceId);
    const wasSelected = this.selectedId === deviceId;
    if (wasSelected) await this.closeSelected();
    else await this.closeDevice(deviceId);
    this.optionBytes = undefined;
    this.readProtection = undefined;
    if (!wasSelected) return;
    await this.registry.refresh();
    this.emitSession();
    // Some bootloaders apply the change without re-enumerating: still listed means reconnect now.
    if (this.registry.isListed(deviceId)) {
      try {
        await this.connect(deviceId);
        return;
      } catch (error) {
        this.log.add('info', 'usb', `waiting for the device to come back (${messageOf(error)})`, deviceId);
      }
    }
    this.reconnectId = deviceId;
  }

  private requireSelected(): { deviceId: string; info: DeviceInfo } {
    const device = this.selectedId ? this.open.get(this.selectedId) : undefined;
    if (!this.selectedId || !device) throw new DfuError({ kind: 'no-device', selector: 'connect a device first' });
    return { deviceId: this.selectedId, info: device.info };
  }

  private requireImage(): LoadedImage {
    const loaded = this.image.loaded;
    if (!loaded) throw new DfuError({ kind: 'invalid-argument', argument: 'image', reason: 'no firmware file is loaded' });
    return loaded;
  }

  // ------------------------------------------------------------------------------------------
  // Programmer: log, report, settings

  getLog(): Promise<LogEntry[]> {
    return this.guard('getLog', () => Promise.resolve(this.log.entries()));
  }

  exportLog(): Promise<string | null> {
    return this.guard('exportLog', async () => {
      const stamp = new Date(this.host.clock.now()).toISOString().slice(0, 19).replace(/[:T]/g, '-');
      const path = await this.host.dialogs.saveFile({
        title: 'Export log',
        defaultName: `dfu-desk-log-${stamp}.txt`,
        filters: [{ name: 'Text', extensions: ['txt', 'log'] }],
      });
      if (path === undefined) return null;
      await this.host.files.writeFile(path, this.log.text());
      return path;
    });
  }

  saveReport(): Promise<string | null> {
    return this.guard('saveReport', async () => {
      const record = this.lastFlash;
      if (!record) throw new DfuError({ kind: 'invalid-argument', argument: 'report', reason: 'no flash or verify has run on this device yet' });
      const report = buildFlashReport(record.input);
      const stamp = report.finishedAt.slice(0, 19).replace(/[:T]/g, '-');
      const path = await this.host.dialogs.saveFile({
        title: 'Save flash report',
        defaultName: `dfu-desk-report-${safeFileNamePart(report.device.serialNumber ?? report.device.id, 'device')}-${stamp}.html`,
        filters: [
          { name: 'HTML', extensions: ['html'] },
          { name: 'Markdown', extensions: ['md'] },
          { name: 'JSON', extensions: ['json'] },
        ],
      });
      if (path === undefined) return null;
      const lower = path.toLowerCase();
      const text = lower.endsWith('.json') ? renderReportJson(report) : lower.endsWith('.md') ? renderReportMarkdown(report) : renderReportHtml(report);
      await this.host.files.writeFile(path, text);
      return path;
    });
  }

  updateSettings(patch: SettingsPatch): Promise<Settings> {
    return this.guard('updateSettings', async () => {
      const next = { ...this.settings, ...patch };
      if (patch.flashOnConnect === true && !this.settings.flashOnConnect) {
        this.tally = { passed: 0, failed: 0 };
        // The board on screen, whose plan the user is looking at, is the kind this run flashes;
        // without one, the first board that connects sets it.
        const selected = this.selectedId ? this.open.get(this.selectedId) : undefined;
        this.flashOnConnectTarget = selected ? boardTargetOf(selected.info) : undefined;
        if (this.flashOnConnectTarget) this.log.add('info', 'flash-on-connect', `flashing every board that connects, if it is ${this.flashOnConnectTarget.label}`);
      }
      await this.saveSettings(next);
      if (patch.showSimulatedDevices !== undefined) {
        this.registry.setShowSimulated(next.showSimulatedDevices);
        await this.registry.refresh();
      }
      if (patch.programOptions) this.planOptions = undefined;
      if (patch.programOptions || patch.flashSizeLimits) this.replan();
      if (patch.flashOnConnect === false) this.flashOnConnectTarget = undefined;
      this.emitSession();
      return this.settings;
    });
  }

  private async saveSettings(next: Settings): Promise<void> {
    this.settings = next;
    try {
      await this.host.settings.save(next);
    } catch (error) {
      this.log.add('warn', 'app', `settings not saved: ${messageOf(error)}`);
    }
  }

  private recordFlash(prepared: FlashPreparation, loaded: LoadedImage, startedAt: number, result: JobResult, plans: readonly ProgramPlan[] | undefined): void {
    const verify = result.verify;
    this.lastFlash = {
      input: flashReportInputOf({
        prepared,
        ...(plans ? { outcome: { plans, ...(verify ? { verify } : {}), hasWrittenOptionBytes: false, hasLeft: false, notes: [] } } : {}),
        tool: { version: this.host.appVersion, interface: 'app' },
        file: { fileName: loaded.summary.fileName, sha256: loaded.summary.sha256 ?? '', fileSizeBytes: loaded.summary.fileSizeBytes },
        startedAt,
        finishedAt: result.finishedAt,
        timings: result.timings,
        ...(result.ok ? {} : { error: result.error }),
      }),
    };
  }

  // ------------------------------------------------------------------------------------------
  // Errors

  /** DfuError passes through; anything else is a bug: logged with its stack, sent as 'internal'. */
  private async guard<T>(method: string, body: () => Promise<T>): Promise<T> {
    try {
      return await body();
    } catch (error) {
      if (error instanceof DfuError) throw error;
      throw new DfuError(this.bugInfo(error, method), { cause: error });
    }
  }

  private errorInfo(error: unknown, kind: JobKind, deviceId: string): DfuErrorInfo {
    if (error instanceof DfuError) return error.info;
    if (isAbort(error)) return { kind: 'cancelled', during: kind };
    return this.bugInfo(error, `${kind} on ${deviceId}`);
  }

  private bugInfo(error: unknown, where: string): DfuErrorInfo {
    const stack = error instanceof Error ? (error.stack ?? error.message) : String(error);
    this.log.add('error', 'app', `internal error in ${where}: ${stack}`);
    this.host.reportBug?.(error);
    return { kind: 'internal', message: messageOf(error) };
  }
}

/** What was verified: each plan's expected bytes (image plus preserved data) over its verify ranges. */
function expectedOf(plans: readonly ProgramPlan[]): MemoryImage {
  return MemoryImage.fromBlocks(plans.flatMap((plan) => plan.verifyRanges.flatMap((range) => plan.expected.slice(range).blocks)));
}

/** The device bytes a verification just read back (the session remembers them), over `expected`. */
function verifiedContent(expected: MemoryImage, session: DfuseSession): VerifiedContent {
  const known = session.knownContent;
  return { expected, actual: MemoryImage.fromBlocks(expected.ranges.flatMap((range) => known.slice(range).blocks)) };
}

function encodeReadBack(readBack: ReadBack, format: SaveFormat): Uint8Array | string {
  switch (format) {
    case 'hex':
      return writeIntelHex(readBack.image);
    case 'bin':
      return writeBinary(readBack.image, { fill: familyFacts(readBack.info.family).erasedValue }).data;
    case 'dfu': {
      const name = readBack.info.alternates.find((alternate) => alternate.alternate === readBack.alternate)?.name;
      return writeDfuFile({
        targets: [{ alternate: readBack.alternate, ...(name ? { name } : {}), image: readBack.image }],
        vendorId: readBack.info.vendorId,
        productId: readBack.info.productId,
      });
    }
  }
}

function describeDevice(info: DeviceInfo): string {
  const name = info.product ?? 'DFU device';
  return `${name} (${info.family}, ${formatUsbId(info.vendorId, info.productId)}${info.serialNumber ? `, serial ${info.serialNumber}` : ''}${info.isSimulated ? ', simulated' : ''})`;
}


function isAbort(error: unknown): boolean {
  return error instanceof Error && error.name === 'AbortError';
}

function messageOf(error: unknown): string {
  if (error instanceof DfuError) return describeError(error.info);
  return error instanceof Error ? error.message : String(error);
}

/**
 * The file a flash or verify job used and, once planned, what its plans did (summed over regions;
 * `blankSectors`: per alternate, the sectors that read blank and were not erased).
 */
function jobFirmwareOf(loaded: LoadedImage, plans: readonly ProgramPlan[] | undefined, blankSectors: Readonly<Record<number, readonly number[]>> = {}): JobFirmware {
  const { fileName, crc32, sizeBytes } = loaded.summary;
  if (!plans) return { fileName, crc32, imageBytes: sizeBytes };
  const sum = (of: (plan: ProgramPlan) => number) => plans.reduce((total, plan) => total + of(plan), 0);
  return {
    fileName,
    crc32,
    imageBytes: sizeBytes,
    work: {
      bytesWritten: sum((plan) => plan.bytesToWrite),
      sectorsErased: sum((plan) => plan.sectors.length - (blankSectors[plan.alternate]?.length ?? 0)),
      sectorsBlank: sum((plan) => blankSectors[plan.alternate]?.length ?? 0),
      skippedChunks: sum((plan) => plan.skippedChunks),
      unchangedSectors: sum((plan) => plan.unchangedSectors.length),
    },
  };
}
