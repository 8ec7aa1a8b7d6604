// A fake window.programmer for store and component tests: a scriptable Remote<Programmer> whose
// calls are recorded and whose events the test pushes. The interface makes the fake trivial;
// no Electron or IPC is mocked.
import type { DeviceInfo, FileGrant, ImageSummary, JobResult, ProgrammerBridge, ProgrammerEvent, ProgrammerMethod, Result, SessionSnapshot } from '../../core/contract/programmer.js';

type Calls = { method: string; args: unknown[] }[];

export interface FakeBridge extends ProgrammerBridge {
  readonly calls: Calls;
  snapshot: SessionSnapshot;
  emit(event: ProgrammerEvent): void;
  /** Replace one method's answer. */
  answer<K extends keyof ProgrammerBridge>(method: K, implementation: ProgrammerBridge[K]): void;
  /** The grant main would give each File (a File from disk in the Electron app); others get none. */
  grants: Map<unknown, FileGrant>;
}

export function baseSnapshot(patch: Partial<SessionSnapshot> = {}): SessionSnapshot {
  return {
    devices: [],
    isImageStale: false,
    tally: { passed: 0, failed: 0 },
    settings: { showSimulatedDevices: true, recentFiles: [], flashOnConnect: false, programOptions: { erase: 'touched', verify: true }, flashSizeLimits: {} },
    recentFiles: [],
    ...patch,
  };
}

export const l073Info: DeviceInfo = {
  id: 'sim:1',
  vendorId: 0x0483,
  productId: 0xdf11,
  bcdDevice: 0x2200,
  manufacturer: 'STMicroelectronics',
  product: 'STM32  BOOTLOADER',
  serialNumber: '3677355E3036',
  path: 'sim-1',
  isSimulated: true,
  functional: { attributes: 0x0b, canDownload: true, canUpload: true, manifestationTolerant: true, willDetach: false, detachTimeoutMs: 255, transferSize: 2048, dfuVersion: 0x011a, source: 'configuration' },
  alternates: [
    {
      alternate: 0,
      name: 'Internal Flash',
      descriptor: '@Internal Flash  /0x08000000/1536*128 g',
      layout: {
        region: { name: 'Internal Flash', segments: [{ start: 0x08000000, end: 0x08030000, sectorSize: 128, sectorCount: 1536, readable: true, erasable: true, writable: true }] },
        warnings: [],
      },
      role: 'flash',
    },
  ],
  family: 'L0',
  familyReason: 'layout 1536 x 128 B at 0x08000000',
  quirks: [],
  warnings: [],
  canLeaveBlankSectors: false,
};

export const hexImage: ImageSummary = {
  fileName: 'firmware.hex',
  path: '/work/firmware.hex',
  token: '5ca1ab1e'.padEnd(32, '0'),
  format: 'intel-hex',
  sizeBytes: 66_748,
  fileSizeBytes: 187_000,
  blocks: [{ start: 0x08000000, end: 0x08000000 + 66_748, crc32: 0x1a2b3c4d }],
  crc32: 0x1a2b3c4d,
  warnings: [],
  loadedAt: 1000,
};

export function okResult(kind: JobResult['kind'] = 'program', patch: Partial<JobResult> = {}): JobResult {
  return { kind, ok: true, deviceId: 'sim:1', timings: [], finishedAt: 5000, ...patch } as JobResult;
}

function ok<T>(value: T): Promise<Result<T>> {
  return Promise.resolve({ ok: true, value });
}

export function createFakeBridge(initial: SessionSnapshot = baseSnapshot()): FakeBridge {
  const listeners = new Set<(event: ProgrammerEvent) => void>();
  const calls: Calls = [];
  const overrides = new Map<string, (...args: unknown[]) => unknown>();
  // Keyed by ProgrammerMethod: the compiler rejects a fake that misses a contract method.
  const defaults: Record<ProgrammerMethod, (...args: unknown[]) => unknown> = {
    getSnapshot: () => ok(fake.snapshot),
    listDevices: () => ok([...fake.snapshot.devices]),
    connect: () => ok(l073Info),
    disconnect: () => ok(undefined),
    openImage: () => ok(hexImage),
    reloadImage: () => ok(hexImage),
    saveImageAs: () => ok('/tmp/blinky.srec'),
    planProgram: () => ok({ plans: [], confirmations: [], warnings: [] }),
    program: () => ok(okResult()),
    verify: () => ok(okResult('verify')),
    readVerifyBytes: () => Promise.resolve({ ok: false, error: { kind: 'invalid-argument', argument: 'verification', reason: 'no verification in this fake' } }),
    readMemory: () => ok(hexImage),
    saveReadBack: () => ok('/tmp/backup.hex'),
    erase: () => ok(okResult('erase')),
    readOptionBytes: () => ok(undefined),
    planOptionBytesWrite: () => ok({ address: 0x1ff80000, changes: [], confirmations: [] }),
    writeOptionBytes: () => ok(okResult('option-bytes-write')),
    readUnprotect: () => ok(okResult('read-unprotect')),
    leave: () => ok(okResult('leave')),
    cancel: () => ok(undefined),
    getLog: () => ok([]),
    exportLog: () => ok('/tmp/log.txt'),
    saveReport: () => ok('/tmp/report.json'),
    updateSettings: (patch) => {
      fake.snapshot = { ...fake.snapshot, settings: { ...fake.snapshot.settings, ...(patch as object) } };
      return ok(fake.snapshot.settings);
    },
  };
  const fake = {
    calls,
    snapshot: initial,
    grants: new Map<unknown, FileGrant>(),
    emit(event: ProgrammerEvent) {
      for (const listener of listeners) listener(event);
    },
    answer(method: string, implementation: (...args: unknown[]) => unknown) {
      overrides.set(method, implementation);
    },
    onEvent(listener: (event: ProgrammerEvent) => void) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    hasNativeDialogs: true,
    grantFile(file: unknown) {
      calls.push({ method: 'grantFile', args: [file] });
      return Promise.resolve(fake.grants.get(file));
    },
  } as unknown as FakeBridge;
  for (const method of Object.keys(defaults) as ProgrammerMethod[]) {
    (fake as unknown as Record<string, unknown>)[method] = (...args: unknown[]) => {
      calls.push({ method, args });
      return (overrides.get(method) ?? defaults[method])(...args);
    };
  }
  return fake;
}
