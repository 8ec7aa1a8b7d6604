// One zustand store. `session` mirrors main's last SessionSnapshot (main owns the truth); everything
// else is UI state: the selected tab, dialogs, drafts, the log buffer, and the progress of the
// running job assembled from 'phase'/'progress' events. Actions call the bridge and turn a failed
// Result into `failure`, shown where the user acted.
import { createStore, type StoreApi } from 'zustand/vanilla';
import { pickFile } from './filePicker.js';
import { MAX_VERIFY_WINDOW_BYTES } from '../core/contract/programmer.js';
import type {
  Confirmation as PolicyConfirmation,
  ConfirmationKind,
  DfuErrorInfo,
  FlashPreview,
  FileGrant,
  ImageSource,
  JobResult,
  JobState,
  JobKind,
  LogEntry,
  LogLevel,
  Phase,
  PlanSummary,
  ProgramOptions,
  ProgrammerBridge,
  ProgrammerEvent,
  ReadRequest,
  Result,
  SaveFormat,
  ImageSaveFormat,
  SavedProgramOptions,
  SessionSnapshot,
  Settings,
} from '../core/contract/programmer.js';
import type { PlanWarning } from '../core/dfuse/plan.js';
import { byteWindow, type ByteWindow } from './features/verify/diffRows.js';

export type Tab = 'flash' | 'memory' | 'option-bytes' | 'device' | 'read-back';

export type PhaseStatus = 'pending' | 'active' | 'done' | 'failed';

export interface PhaseProgress {
  readonly status: PhaseStatus;
  readonly done: number;
  readonly total: number;
  readonly bytesPerSecond: number;
  readonly etaMs?: number;
}

/** The running (or last finished) job as the stepper shows it. */
export interface JobProgress {
  readonly kind: JobKind;
  readonly deviceId: string;
  readonly startedAt: number;
  readonly isFinished: boolean;
  /** Phases in display order: the expected ones first, then any others the job reported. */
  readonly order: readonly Phase[];
  readonly phases: Readonly<Partial<Record<Phase, PhaseProgress>>>;
}

export interface OptionChange {
  readonly id: string;
  readonly label: string;
  readonly from: number;
  readonly to: number;
}

/** A change as main planned it, with the values in words (core's decoder). */
export interface PlannedOptionChange extends OptionChange {
  readonly fromMeaning: string;
  readonly toMeaning: string;
}

/**
 * The open dialog. `confirmations` are the write policy's (core/jobs/confirmations.ts), as main
 * computed them for this plan or option-byte write: each must be given, or main refuses the job.
 */
export type Confirmation =
  | { readonly kind: 'program'; readonly reasons: readonly string[]; readonly confirmations: readonly PolicyConfirmation[] }
  | { readonly kind: 'mass-erase' }
  | { readonly kind: 'read-unprotect' }
  | { readonly kind: 'option-bytes'; readonly changes: readonly PlannedOptionChange[]; readonly confirmations: readonly PolicyConfirmation[] };

/**
 * A raw binary waiting for its base address: before it is opened (a .bin), or just loaded at the
 * start of flash because only its content said it is raw (`isLoaded`: a file with only a DFU suffix,
 * one opened by the native dialog or the menu); cancelling then keeps it where it was placed.
 */
export interface PendingBinary {
  readonly fileName: string;
  readonly source: { readonly kind: 'file'; readonly token: string } | { readonly kind: 'bytes'; readonly bytes: Uint8Array };
  readonly isLoaded?: true;
  /**
   * 'binary': main refused the file because its name names no format and its content is a binary
   * (couldBeRawBinary); confirming opens it as a raw binary, the app's `--format bin`.
   */
  readonly format?: 'binary';
}

export interface Failure {
  readonly action: string;
  readonly error: DfuErrorInfo;
}

export interface PlanState {
  /** Identity of the inputs the plan was made for (device, image, options). */
  readonly key: string;
  readonly plans?: readonly PlanSummary[];
  /** What main will refuse to do without an explicit confirmation (FlashPreview.confirmations). */
  readonly confirmations?: readonly PolicyConfirmation[];
  /** A raw binary's start address, as main placed it. */
  readonly baseAddress?: number;
  /** Placement warnings (a raw binary's default address, .dfu targets naming other alt settings). */
  readonly warnings?: readonly string[];
  /** A raw option-byte block from the file, written last. */
  readonly optionBytes?: FlashPreview['optionBytes'];
  readonly error?: DfuErrorInfo;
  readonly isLoading: boolean;
}

/**
 * Bytes of the last verification fetched from main for the diff viewer, in aligned windows of
 * MAX_VERIFY_WINDOW_BYTES. `key` names the result they belong to; a new result starts afresh.
 */
export interface VerifyBytesCache {
  readonly key: string;
  readonly windows: ReadonlyMap<number, ByteWindow>;
  /** Set when main could not serve a window: the viewer falls back to the report's samples. */
  readonly error?: DfuErrorInfo;
}

/** Windows kept at most (4 MiB): a 2 MiB image fits whole, scrolling back costs no new call. */
export const VERIFY_WINDOW_LIMIT = 64;

export interface LogFilter {
  readonly minLevel: LogLevel;
  readonly search: string;
}

export interface AppState {
  readonly session?: SessionSnapshot;
  /** Set after an option-byte write: read them again once the device is back from its reset. */
  readonly isOptionBytesRereadPending: boolean;
  readonly job?: JobProgress;
  readonly plan?: PlanState;
  readonly log: readonly LogEntry[];
  readonly tab: Tab;
  readonly isLogOpen: boolean;
  readonly logFilter: LogFilter;
  readonly pendingBinary?: PendingBinary;
  readonly confirmation?: Confirmation;
  readonly failure?: Failure;
  readonly notice?: string;
  readonly optionDraft: Readonly<Record<string, number>>;
  readonly isDiffOpen: boolean;
  readonly verifyBytes?: VerifyBytesCache;
  readonly isDragging: boolean;
}

export interface AppActions {
  /** Subscribes to main's events and loads the first snapshot and the log. Returns the unsubscribe. */
  start: () => Promise<() => void>;
  refresh: () => Promise<void>;
  setTab: (tab: Tab) => void;
  setLogOpen: (isOpen: boolean) => void;
  setLogFilter: (patch: Partial<LogFilter>) => void;
  setDragging: (isDragging: boolean) => void;
  dismissFailure: () => void;
  dismissNotice: () => void;
  selectDevice: (deviceId: string) => Promise<void>;
  disconnect: () => Promise<void>;
  /** A file dropped on the window: by the token main grants for it, else (a plain browser) by its bytes. */
  openFile: (file: File) => Promise<void>;
  /** False in a plain browser: files are picked with the page's own input (bridge.hasNativeDialogs). */
  readonly hasNativeDialogs: boolean;
  openDialog: () => Promise<void>;
  openRecent: (file: FileGrant) => Promise<void>;
  reloadImage: () => Promise<void>;
  /** Re-open the loaded raw binary at another base address. */
  rebaseImage: (baseAddress: number) => Promise<void>;
  confirmBaseAddress: (baseAddress: number) => Promise<void>;
  cancelBaseAddress: () => void;
  setProgramOptions: (patch: Partial<SavedProgramOptions>) => Promise<void>;
  /** Saves (or, with undefined, forgets) the real flash size for the connected device's bootloader. */
  setFlashSizeLimit: (sizeBytes: number | undefined) => Promise<void>;
  updateSettings: (patch: Partial<Settings>) => Promise<void>;
  /** The primary button: asks for confirmation first when the plan destroys more than the image or needs one. */
  requestProgram: () => Promise<void>;
  /** Flashes with the confirmations the user gave in the dialog (none when none were needed). */
  program: (confirmed?: readonly ConfirmationKind[]) => Promise<void>;
  verify: () => Promise<void>;
  cancel: () => Promise<void>;
  requestMassErase: () => void;
  massErase: () => Promise<void>;
  readMemory: (request: ReadRequest) => Promise<void>;
  saveReadBack: (format: SaveFormat) => Promise<void>;
  /** The loaded image written as another format where the user chooses (main's save dialog). */
  saveImageAs: (format: ImageSaveFormat) => Promise<void>;
  readOptionBytes: () => Promise<void>;
  setOptionDraft: (id: string, value: number | undefined) => void;
  /** Asks main what the draft would change and what it needs confirmed, then opens the dialog. */
  requestOptionBytesWrite: () => Promise<void>;
  writeOptionBytes: (confirmed: readonly ConfirmationKind[]) => Promise<void>;
  requestReadUnprotect: () => void;
  readUnprotect: () => Promise<void>;
  leave: () => Promise<void>;
  closeConfirmation: () => void;
  setDiffOpen: (isOpen: boolean) => void;
  /** Fetches (once) the windows of the last verification that hold these addresses. */
  loadVerifyWindows: (addresses: readonly number[]) => Promise<void>;
  exportLog: () => Promise<void>;
  saveReport: () => Promise<void>;
}

export type AppStore = StoreApi<AppState & AppActions>;

export const LOG_LIMIT = 20_000;

const defaultOptions: ProgramOptions = { erase: 'touched', verify: true };

/**
 * The flash size saved for the connected device's bootloader (settings.flashSizeLimits), which main
 * applies to its plans, erase and read; undefined without a device or a saved size.
 */
export function savedFlashSize(session: SessionSnapshot | undefined): number | undefined {
  const key = session?.device ? session.bootloaderKey : undefined;
  if (key === undefined) return undefined;
  const limits = session!.settings.flashSizeLimits;
  return Object.hasOwn(limits, key) ? limits[key] : undefined;
}

export function createAppStore(bridge: ProgrammerBridge): AppStore {
  return createStore<AppState & AppActions>()((set, get) => {
    /** Runs a bridge call; a failed Result becomes `failure`. Returns the value or undefined. */
    async function call<T>(action: string, run: () => Promise<Result<T>>): Promise<T | undefined> {
      const result = await run();
      if (!result.ok) {
        set({ failure: { action, error: result.error } });
        return undefined;
      }
      return result.value;
    }

    /** Windows being fetched, by result key and window start. */
    const pendingWindows = new Set<string>();
    /** The plan being made for the newest snapshot (main reads partly covered sectors for it). */
    let planning: Promise<void> = Promise.resolve();

    function applySnapshot(session: SessionSnapshot): void {
      const previous = get().session;
      const patch: { -readonly [K in keyof AppState]?: AppState[K] } = { session };
      const cache = get().verifyBytes;
      if (cache && cache.key !== verifyKey(session.lastResult)) patch.verifyBytes = undefined;
      if (session.optionBytes !== previous?.optionBytes) patch.optionDraft = {};
      // Any raw file placed at the default address, however it was opened, gets the question.
      const image = session.image;
      if (image?.rawBase && !image.rawBase.isChosen && image.token && image.loadedAt !== previous?.image?.loadedAt && !get().pendingBinary) {
        patch.pendingBinary = { fileName: image.fileName, source: { kind: 'file', token: image.token }, isLoaded: true };
      }
      const result = session.lastResult;
      if (result && result !== previous?.lastResult && result.finishedAt !== previous?.lastResult?.finishedAt) {
        if (result.verify && !result.verify.isMatch) patch.isDiffOpen = true;
        const job = get().job;
        if (job && !job.isFinished && job.deviceId === result.deviceId) patch.job = finishJob(job, result.ok);
      }
      // The steps come from main (announced from the plan before the first one starts): the
      // store shows them, it never predicts them.
      if (session.job) {
        const job = patch.job ?? get().job;
        const isSameJob = job !== undefined && !job.isFinished && job.deviceId === session.job.deviceId && job.startedAt === session.job.startedAt;
        patch.job = isSameJob ? withAnnounced(job, session.job) : jobOf(session.job);
      }
      set(patch);
      planning = replanIfNeeded();
      if (get().isOptionBytesRereadPending && session.device && !session.job && !session.optionBytes) {
        set({ isOptionBytesRereadPending: false });
        void get().readOptionBytes();
      }
    }

    function planKey(session: SessionSnapshot | undefined): string | undefined {
      if (!session?.device || !session.image) return undefined;
      // The saved flash size is part of the key: main plans with it, so a new size needs a new plan.
      const image = session.image;
      return JSON.stringify([session.device.id, image.path ?? image.fileName, image.loadedAt, session.settings.programOptions, savedFlashSize(session) ?? null]);
    }

    async function replanIfNeeded(): Promise<void> {
      const session = get().session;
      const key = planKey(session);
      if (key === undefined) {
        if (get().plan) set({ plan: undefined });
        return;
      }
      if (get().plan?.key === key || !session) return;
      set({ plan: { key, isLoading: true } });
      const result = await bridge.planProgram(session.settings.programOptions);
      if (get().plan?.key !== key) return;
      set({
        plan: result.ok
          ? {
              key,
              plans: result.value.plans,
              confirmations: result.value.confirmations,
              warnings: result.value.warnings,
              ...(result.value.baseAddress !== undefined ? { baseAddress: result.value.baseAddress } : {}),
              ...(result.value.optionBytes ? { optionBytes: result.value.optionBytes } : {}),
              isLoading: false,
            }
          : { key, error: result.error, isLoading: false },
      });
    }

    function onEvent(event: ProgrammerEvent): void {
      switch (event.type) {
        case 'session':
          applySnapshot(event.session);
          return;
        case 'log':
          set({ log: appendLog(get().log, [event.entry]) });
          return;
        case 'phase': {
          const job = runningJob(event.deviceId);
          if (!job) return;
          const current = job.phases[event.phase];
          const status: PhaseStatus = event.status === 'start' ? 'active' : 'done';
          set({
            job: {
              ...job,
              order: job.order.includes(event.phase) ? job.order : [...job.order, event.phase],
              phases: { ...job.phases, [event.phase]: { done: 0, total: 0, bytesPerSecond: 0, ...current, status } },
            },
          });
          return;
        }
        case 'progress': {
          const job = runningJob(event.deviceId);
          if (!job) return;
          set({
            job: {
              ...job,
              order: job.order.includes(event.phase) ? job.order : [...job.order, event.phase],
              phases: {
                ...job.phases,
                [event.phase]: {
                  status: job.phases[event.phase]?.status === 'done' ? 'done' : 'active',
                  done: event.done,
                  total: event.total,
                  bytesPerSecond: event.bytesPerSecond,
                  etaMs: event.etaMs,
                },
              },
            },
          });
          return;
        }
      }
    }

    /**
     * The job a phase or progress event belongs to. Main sends the snapshot that starts a job before
     * its first phase event, so an event without a running job is not a job's (and is not shown).
     */
    function runningJob(deviceId: string): JobProgress | undefined {
      const job = get().job;
      return job && !job.isFinished && job.deviceId === deviceId ? job : undefined;
    }

    /** The source that opens a refused file again, when the refusal says it could be a raw binary. */
    function rawBinaryRetry(source: ImageSource, error: DfuErrorInfo): PendingBinary | undefined {
      if (error.kind !== 'image-format' || !error.couldBeRawBinary) return undefined;
      if (source.kind === 'bytes') return { fileName: source.fileName, source: { kind: 'bytes', bytes: source.bytes }, format: 'binary' };
      const token = source.kind === 'file' ? source.token : error.fileToken;
      return token !== undefined ? { fileName: error.file ?? 'The file', source: { kind: 'file', token }, format: 'binary' } : undefined;
    }

    async function open(source: ImageSource): Promise<void> {
      const result = await bridge.openImage(source);
      const retry = result.ok ? undefined : rawBinaryRetry(source, result.error);
      if (retry) {
        // Not an error yet: the question says what the file is and opens it as a raw binary if asked.
        set({ pendingBinary: retry, failure: undefined });
        return;
      }
      const summary = await call('Open file', () => Promise.resolve(result));
      if (summary) set({ tab: 'flash', failure: undefined });
      // Sent bytes have no token: the question keeps them, to open them again at the chosen address.
      if (summary?.rawBase && !summary.rawBase.isChosen && source.kind === 'bytes' && !get().pendingBinary) {
        set({ pendingBinary: { fileName: summary.fileName, source: { kind: 'bytes', bytes: source.bytes }, isLoaded: true } });
      }
      await get().refresh();
    }

    async function runJob(action: string, run: () => Promise<Result<JobResult>>): Promise<JobResult | undefined> {
      set({ failure: undefined, confirmation: undefined });
      // The result itself reaches the window through the session snapshot (main keeps it even when
      // the device vanished mid-job); refresh() below makes sure the newest snapshot is applied.
      const result = await call(action, run);
      const job = get().job;
      if (job && !job.isFinished) set({ job: finishJob(job, result?.ok ?? false) });
      await get().refresh();
      return result;
    }

    return {
      log: [],
      tab: 'flash',
      isLogOpen: true,
      logFilter: { minLevel: 'info', search: '' },
      optionDraft: {},
      isDiffOpen: false,
      isDragging: false,
      isOptionBytesRereadPending: false,
      hasNativeDialogs: bridge.hasNativeDialogs,

      async start() {
        const unsubscribe = bridge.onEvent(onEvent);
        const [snapshot, log] = await Promise.all([bridge.getSnapshot(), bridge.getLog()]);
        if (log.ok) set({ log: appendLog([], log.value).concat(get().log).slice(-LOG_LIMIT) });
        if (snapshot.ok) applySnapshot(snapshot.value);
        else set({ failure: { action: 'Start', error: snapshot.error } });
        return unsubscribe;
      },

      async refresh() {
        const snapshot = await bridge.getSnapshot();
        if (snapshot.ok) applySnapshot(snapshot.value);
      },

      setTab: (tab) => set({ tab }),
      setLogOpen: (isLogOpen) => set({ isLogOpen }),
      setLogFilter: (patch) => set({ logFilter: { ...get().logFilter, ...patch } }),
      setDragging: (isDragging) => set({ isDragging }),
      dismissFailure: () => set({ failure: undefined }),
      dismissNotice: () => set({ notice: undefined }),
      closeConfirmation: () => set({ confirmation: undefined }),
      setDiffOpen: (isDiffOpen) => set({ isDiffOpen }),

      async loadVerifyWindows(addresses) {
        const key = verifyKey(get().session?.lastResult);
        // After a refusal the viewer shows the samples; asking again on every scroll would not help.
        if (key === undefined || (get().verifyBytes?.key === key && get().verifyBytes?.error)) return;
        const starts = new Set(addresses.map((address) => address - (address % MAX_VERIFY_WINDOW_BYTES)));
        const current = () => {
          const cache = get().verifyBytes;
          return cache?.key === key ? cache : { key, windows: new Map<number, ByteWindow>() };
        };
        const missing = [...starts].filter((start) => !current().windows.has(start) && !pendingWindows.has(`${key}@${start}`));
        await Promise.all(
          missing.map(async (start) => {
            const id = `${key}@${start}`;
            pendingWindows.add(id);
            try {
              const result = await bridge.readVerifyBytes({ start, end: Math.min(0x1_0000_0000, start + MAX_VERIFY_WINDOW_BYTES) });
              if (verifyKey(get().session?.lastResult) !== key) return;
              const cache = current();
              if (!result.ok) {
                set({ verifyBytes: { ...cache, error: result.error } });
                return;
              }
              const windows = new Map(cache.windows);
              windows.set(start, byteWindow(result.value));
              // Oldest first (Map order); the windows asked for now stay.
              for (const old of windows.keys()) {
                if (windows.size <= VERIFY_WINDOW_LIMIT) break;
                if (!starts.has(old)) windows.delete(old);
              }
              set({ verifyBytes: { ...cache, windows } });
            } finally {
              pendingWindows.delete(id);
            }
          }),
        );
      },

      async selectDevice(deviceId) {
        set({ failure: undefined });
        await call('Connect', () => bridge.connect(deviceId));
        await get().refresh();
      },

      async disconnect() {
        await call('Disconnect', () => bridge.disconnect());
        await get().refresh();
      },

      async openFile(file) {
        set({ isDragging: false });
        const grant = await bridge.grantFile(file);
        const source: PendingBinary['source'] = grant ? { kind: 'file', token: grant.token } : { kind: 'bytes', bytes: new Uint8Array(await file.arrayBuffer()) };
        if (isRawBinaryName(file.name)) {
          set({ pendingBinary: { fileName: file.name, source } });
          return;
        }
        await open(source.kind === 'file' ? source : { kind: 'bytes', fileName: file.name, bytes: source.bytes });
      },

      // Without a native dialog (a plain browser) the window's own file input does the picking.
      openDialog: () => {
        if (bridge.hasNativeDialogs) return open({ kind: 'dialog' });
        // Synchronously, inside the user's click or key press: browsers show a file chooser only then.
        pickFile();
        return Promise.resolve();
      },
      openRecent: (file) =>
        isRawBinaryName(file.fileName)
          ? Promise.resolve(set({ pendingBinary: { fileName: file.fileName, source: { kind: 'file', token: file.token } } }))
          : open({ kind: 'file', token: file.token }),

      async reloadImage() {
        await call('Reload', () => bridge.reloadImage());
        await get().refresh();
      },

      async rebaseImage(baseAddress) {
        const image = get().session?.image;
        // Named a raw binary: a file whose extension names no format was opened as one only so.
        if (image?.token && image.rawBase) await open({ kind: 'file', token: image.token, baseAddress, format: 'binary' });
        else if (image?.token) await open({ kind: 'file', token: image.token, baseAddress });
      },

      async confirmBaseAddress(baseAddress) {
        const pending = get().pendingBinary;
        if (!pending) return;
        set({ pendingBinary: undefined });
        const format = pending.format !== undefined ? { format: pending.format } : {};
        await open(
          pending.source.kind === 'file'
            ? { kind: 'file', token: pending.source.token, baseAddress, ...format }
            : { kind: 'bytes', fileName: pending.fileName, bytes: pending.source.bytes, baseAddress, ...format },
        );
      },

      cancelBaseAddress: () => set({ pendingBinary: undefined }),

      async setProgramOptions(patch) {
        const programOptions = { ...(get().session?.settings.programOptions ?? defaultOptions), ...patch };
        await get().updateSettings({ programOptions });
      },

      async setFlashSizeLimit(sizeBytes) {
        const session = get().session;
        const key = session?.device ? session.bootloaderKey : undefined;
        if (!session || key === undefined) return;
        const { [key]: _previous, ...others } = session.settings.flashSizeLimits;
        await get().updateSettings({ flashSizeLimits: sizeBytes === undefined ? others : { ...others, [key]: sizeBytes } });
      },

      async updateSettings(patch) {
        // Shown at once: controlled checkboxes and radios would otherwise snap back until main answers.
        const session = get().session;
        if (session) set({ session: { ...session, settings: { ...session.settings, ...patch } } });
        await call('Settings', () => bridge.updateSettings(patch));
        await get().refresh();
      },

      async requestProgram() {
        // The question about data loss rests on the plan for these options, read from the device.
        await planning;
        const reasons = destructiveReasons(get().session?.settings.programOptions ?? defaultOptions, get().plan?.plans ?? []);
        const confirmations = get().plan?.confirmations ?? [];
        if (reasons.length > 0 || confirmations.length > 0) set({ confirmation: { kind: 'program', reasons, confirmations } });
        else await get().program();
      },

      async program(confirmed = []) {
        const options = get().session?.settings.programOptions ?? defaultOptions;
        set({ isDiffOpen: false });
        await runJob('Flash', () => bridge.program(confirmed.length > 0 ? { options, confirmed: [...confirmed] } : { options }));
      },

      async verify() {
        set({ isDiffOpen: false });
        await runJob('Verify', () => bridge.verify());
      },

      async cancel() {
        await call('Cancel', () => bridge.cancel());
      },

      requestMassErase: () => set({ confirmation: { kind: 'mass-erase' } }),

      async massErase() {
        await runJob('Mass erase', () => bridge.erase({ kind: 'mass' }));
      },

      async readMemory(request) {
        set({ failure: undefined });
        const summary = await call('Read back', () => bridge.readMemory(request));
        const job = get().job;
        if (job && !job.isFinished) set({ job: finishJob(job, summary !== undefined) });
        await get().refresh();
      },

      async saveReadBack(format) {
        const path = await call('Save', () => bridge.saveReadBack(format));
        if (path) set({ notice: `Saved to ${path}` });
      },

      async saveImageAs(format) {
        const path = await call('Save as', () => bridge.saveImageAs(format));
        if (path) set({ notice: `Saved to ${path}` });
      },

      async readOptionBytes() {
        set({ failure: undefined });
        await call('Read option bytes', () => bridge.readOptionBytes());
        await get().refresh();
      },

      setOptionDraft(id, value) {
        const draft = { ...get().optionDraft };
        const field = get().session?.optionBytes?.fields.find((candidate) => candidate.id === id);
        if (value === undefined || value === field?.value) delete draft[id];
        else draft[id] = value;
        set({ optionDraft: draft });
      },

      async requestOptionBytesWrite() {
        const changes = optionChanges(get());
        if (changes.length === 0) return;
        set({ failure: undefined });
        // Main decides what the change needs confirmed (RDP level 2 differs per family).
        const preview = await call('Write option bytes', () => bridge.planOptionBytesWrite({ ...get().optionDraft }));
        if (preview) set({ confirmation: { kind: 'option-bytes', changes: preview.changes, confirmations: preview.confirmations } });
      },

      async writeOptionBytes(confirmed) {
        const changes = { ...get().optionDraft };
        const result = await runJob('Write option bytes', () =>
          bridge.writeOptionBytes(confirmed.length > 0 ? { changes, confirmed: [...confirmed] } : { changes }),
        );
        if (result?.ok) {
          // The device resets to apply them; read them again once it is connected.
          set({ optionDraft: {}, isOptionBytesRereadPending: true });
          const session = get().session;
          if (session) applySnapshot(session);
        }
      },

      requestReadUnprotect: () => set({ confirmation: { kind: 'read-unprotect' } }),

      async readUnprotect() {
        await runJob('Remove read protection', () => bridge.readUnprotect({ eraseAllFlash: true }));
      },

      async leave() {
        await runJob('Start application', () => bridge.leave());
      },

      async exportLog() {
        const path = await call('Export log', () => bridge.exportLog());
        if (path) set({ notice: `Log saved to ${path}` });
      },

      async saveReport() {
        const path = await call('Save report', () => bridge.saveReport());
        if (path) set({ notice: `Report saved to ${path}` });
      },
    };
  });
}

/** Which result the fetched verification bytes belong to (undefined: nothing to fetch). */
function verifyKey(result: JobResult | undefined): string | undefined {
  return result?.verify ? `${result.deviceId}@${result.finishedAt}` : undefined;
}

function appendLog(log: readonly LogEntry[], entries: readonly LogEntry[]): LogEntry[] {
  const next = log.concat(entries);
  return next.length > LOG_LIMIT ? next.slice(next.length - LOG_LIMIT) : next;
}

/** The job as main announced it: its steps in order, each pending with the bytes it will move. */
function jobOf(state: JobState): JobProgress {
  return withAnnounced({ kind: state.kind, deviceId: state.deviceId, startedAt: state.startedAt, isFinished: false, order: [], phases: {} }, state);
}

/** Adds steps main announced since (a flash job announces its plan's steps once planned). */
function withAnnounced(job: JobProgress, state: JobState): JobProgress {
  const missing = state.phases.filter((announced) => !job.order.includes(announced.phase));
  if (missing.length === 0) return job;
  const phases = { ...job.phases };
  for (const announced of missing) phases[announced.phase] = { status: 'pending', done: 0, total: announced.bytes, bytesPerSecond: 0 };
  return { ...job, order: [...job.order, ...missing.map((announced) => announced.phase)], phases };
}

function finishJob(job: JobProgress, isOk: boolean): JobProgress {
  const phases: Partial<Record<Phase, PhaseProgress>> = {};
  for (const phase of job.order) {
    const progress = job.phases[phase] ?? { status: 'pending', done: 0, total: 0, bytesPerSecond: 0 };
    phases[phase] = progress.status === 'active' ? { ...progress, status: isOk ? 'done' : 'failed' } : progress;
  }
  return { ...job, isFinished: true, phases };
}

/** Why flashing with these options destroys more than the image covers (empty: no confirm). */
export function destructiveReasons(options: ProgramOptions, plans: readonly PlanSummary[]): string[] {
  const reasons: string[] = [];
  if (options.erase === 'mass') reasons.push('Mass erase wipes the whole flash, including data the image does not cover.');
  if (!options.preserve) {
    for (const plan of plans) {
      for (const warning of plan.warnings) {
        if (isDataLossWarning(warning)) reasons.push(warningMessage(warning));
      }
    }
  }
  return reasons;
}

/** Plan warnings are data: 'destroys-data' (a partly covered sector loses bytes outside the image) needs a confirm. */
export function warningMessage(warning: PlanWarning | string): string {
  return typeof warning === 'string' ? warning : warning.message;
}

function isDataLossWarning(warning: PlanWarning): boolean {
  return warning.kind === 'destroys-data';
}

export function optionChanges(state: Pick<AppState, 'session' | 'optionDraft'>): OptionChange[] {
  const fields = state.session?.optionBytes?.fields ?? [];
  return fields
    .filter((field) => state.optionDraft[field.id] !== undefined && state.optionDraft[field.id] !== field.value)
    .map((field) => ({ id: field.id, label: field.label, from: field.value, to: state.optionDraft[field.id]! }));
}

export function isRawBinaryName(name: string): boolean {
  return /\.bin$/i.test(name);
}
