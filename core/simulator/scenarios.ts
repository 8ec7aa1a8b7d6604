// Named fault scenarios for the simulated bootloaders (after EdgeTX's named fake devices). The same
// names serve unit tests, the CLI (`--simulate stm32l073:unplugMidWrite`), e2e (DFU_SIMULATOR=...)
// and the app's demo devices. Every fault fires once, so the device is recoverable afterwards.
import { DfuError } from '../errors.js';
import { DfuStatus } from '../dfu/spec.js';
import type { SimulatorProfile } from './profiles.js';
import { profiles } from './profiles.js';

/** Which requests a disconnect fault counts. */
export type DisconnectPhase = 'any' | 'erase' | 'write' | 'read';

export interface ScenarioOptions {
  /** The spec text this came from, e.g. "unplugMidWrite" or "eraseError:3+strict". */
  readonly id: string;
  readonly description: string;
  /** Start in dfuERROR/errFIRMWARE whatever the profile says. */
  readonly errorAtConnect?: boolean;
  /** RDP level 1: uploads, erases and writes fail with errVENDOR until Read Unprotect. */
  readonly readProtected?: boolean;
  /**
   * What the flash holds at power-up. Default 'previous-firmware' (a board in DFU mode nearly always
   * has an old application, and writing over it without erasing must show); 'blank' = factory new.
   */
  readonly flashContent?: 'previous-firmware' | 'blank';
  /** The device drops off the bus when the (after+1)-th matching request arrives. */
  readonly disconnect?: { readonly during: DisconnectPhase; readonly after: number; readonly replugAfterMs?: number };
  /** The nth erase (page or mass) ends in dfuERROR with this status; nothing is erased. */
  readonly eraseError?: { readonly nth: number; readonly status: number };
  /** The nth data block ends in dfuERROR with this status; nothing is written. */
  readonly writeError?: { readonly nth: number; readonly status: number };
  /**
   * After the nth erase the device stays in dfuDNBUSY. 'two-clrstatus': the STM32H743 rev V
   * behaviour, released by two CLRSTATUS (reference §1.3, Betaflight); 'replug': only a replug helps.
   */
  readonly stuckBusy?: { readonly nth: number; readonly release: 'two-clrstatus' | 'replug' };
  /** The reported bwPollTimeout is wrong: 'short' = 1 ms, 'long' = 4x the real duration + 50 ms. */
  readonly lyingPollTimeout?: 'short' | 'long';
  /** Mass erase takes this many times the profile's duration (still reporting the same timeout). */
  readonly massEraseFactor?: number;
  /** Strict referee: C5-like CLRSTATUS STALL and extra misuse recorded (unaligned erase, leave from dfuIDLE). */
  readonly strict?: boolean;
  /**
   * How a GETSTATUS sent while an operation runs is answered (default: the profile's, which is
   * 'hold' except on the L4 that STALLs):
   * - 'hold': held until the operation ends (ST BLs mostly; reference §1.3);
   * - 'answer-busy': answered dfuDNBUSY at once (L4 mostly; H7 per Betaflight);
   * - 'first-held': the operation runs inside the first GETSTATUS, which answers dfuDNBUSY after it;
   * - 'flaky': seeded at random, a STALL (no handshake to an early SETUP on USB FS), an I/O error
   *   (EPROTO on Linux) or a dfuDNBUSY answer;
   * - 'stall': always a STALL (the L4 profile's quirk, on any profile).
   */
  readonly pollWhileBusy?: PollWhileBusy;
  /** Seed of the 'flaky' choices. */
  readonly pollSeed?: number;
  /** Newer bootloaders: an option-byte write ends in dfuDNLOAD-IDLE; the change applies at the next reset. */
  readonly noResetAfterOptionBytes?: boolean;
  /** With read protection, Set Address fails with errVENDOR too (Betaflight's RDP detection relies on it). */
  readonly setAddressRefusedWhenProtected?: boolean;
  /**
   * Sectors of internal flash (indexes) that are write-protected: an erase of one returns no error
   * and erases nothing (AN2662, reference §2.1 item 6), a write into one fails with errWRITE.
   */
  readonly writeProtectedSectors?: readonly number[];
  /**
   * The bootloader places block n at pointer + (n-2) x wLength of that request instead of
   * x wTransferSize: a short block after others lands in the wrong place (issue 16; dfu-util gives
   * every chunk its own address).
   */
  readonly addressFromRequestLength?: boolean;
  /** Read Unprotect at RDP level 0: 'erase-and-reset' (default, as at level 1) or 'no-op' (OK, no reset). */
  readonly readUnprotectAtLevel0?: 'erase-and-reset' | 'no-op';
}

export type PollWhileBusy = 'hold' | 'answer-busy' | 'first-held' | 'flaky' | 'stall';

/** The poll variants the contract suite and the benchmark run every profile under. */
export const POLL_VARIANTS: readonly string[] = ['pollHold', 'pollAnswerBusy', 'pollFirstHeld', 'pollFlaky:1'];

type ScenarioFactory = (argument: string | undefined) => Omit<ScenarioOptions, 'id'>;

interface ScenarioDefinition {
  readonly summary: string;
  readonly argument?: string;
  readonly create: ScenarioFactory;
}

function count(name: string, argument: string | undefined, fallback: number | undefined): number {
  if (argument === undefined || argument === '') {
    if (fallback === undefined) throw specError(`${name} needs a number, e.g. ${name}:3`);
    return fallback;
  }
  if (!/^\d+$/.test(argument)) throw specError(`${name}: "${argument}" is not a whole number`);
  return Number.parseInt(argument, 10);
}

function specError(reason: string): DfuError {
  return new DfuError({ kind: 'invalid-argument', argument: 'simulator', reason });
}

const definitions: Readonly<Record<string, ScenarioDefinition>> = {
  healthy: {
    summary: 'a working bootloader with an old application in flash',
    create: () => ({ description: 'healthy device with a previous application in flash' }),
  },
  blank: {
    summary: 'factory-new chip: flash erased',
    create: () => ({ description: 'factory-new chip with erased flash', flashContent: 'blank' }),
  },
  errorAtConnect: {
    summary: 'starts in dfuERROR with errFIRMWARE (CLRSTATUS needed first)',
    create: () => ({ description: 'in dfuERROR/errFIRMWARE at connect', errorAtConnect: true }),
  },
  readProtected: {
    summary: 'RDP level 1: reads, erases and writes fail with errVENDOR until Read Unprotect',
    create: () => ({ description: 'read-protected (RDP level 1)', readProtected: true }),
  },
  unplugMidWrite: {
    summary: 'unplugged when data block N+1 arrives, back after 2 s',
    argument: 'N=3',
    create: (argument) => {
      const after = count('unplugMidWrite', argument, 3);
      return { description: `unplugged after ${after} data blocks`, disconnect: { during: 'write', after, replugAfterMs: 2000 } };
    },
  },
  unplugMidErase: {
    summary: 'unplugged when erase command N+1 arrives, back after 2 s',
    argument: 'N=1',
    create: (argument) => {
      const after = count('unplugMidErase', argument, 1);
      return { description: `unplugged after ${after} erase commands`, disconnect: { during: 'erase', after, replugAfterMs: 2000 } };
    },
  },
  unplugMidRead: {
    summary: 'unplugged when upload N+1 arrives, back after 2 s',
    argument: 'N=2',
    create: (argument) => {
      const after = count('unplugMidRead', argument, 2);
      return { description: `unplugged after ${after} uploads`, disconnect: { during: 'read', after, replugAfterMs: 2000 } };
    },
  },
  disconnectAfter: {
    summary: 'gone after N control transfers, back after 2 s',
    argument: 'N',
    create: (argument) => {
      const after = count('disconnectAfter', argument, undefined);
      return { description: `disconnects after ${after} control transfers`, disconnect: { during: 'any', after, replugAfterMs: 2000 } };
    },
  },
  eraseError: {
    summary: 'erase N fails with errERASE',
    argument: 'N=1',
    create: (argument) => {
      const nth = count('eraseError', argument, 1);
      return { description: `erase ${nth} fails with errERASE`, eraseError: { nth, status: DfuStatus.errERASE } };
    },
  },
  writeError: {
    summary: 'data block N fails with errWRITE',
    argument: 'N=1',
    create: (argument) => {
      const nth = count('writeError', argument, 1);
      return { description: `data block ${nth} fails with errWRITE`, writeError: { nth, status: DfuStatus.errWRITE } };
    },
  },
  stuckBusy: {
    summary: 'stays in dfuDNBUSY after erase N until two CLRSTATUS (STM32H743 rev V)',
    argument: 'N=1',
    create: (argument) => {
      const nth = count('stuckBusy', argument, 1);
      return { description: `stuck in dfuDNBUSY after erase ${nth}, two CLRSTATUS release it`, stuckBusy: { nth, release: 'two-clrstatus' } };
    },
  },
  stuckBusyUntilReplug: {
    summary: 'stays in dfuDNBUSY after erase N until unplugged',
    argument: 'N=1',
    create: (argument) => {
      const nth = count('stuckBusyUntilReplug', argument, 1);
      return { description: `wedged in dfuDNBUSY after erase ${nth}`, stuckBusy: { nth, release: 'replug' } };
    },
  },
  lyingPollTimeout: {
    summary: 'reports a wrong bwPollTimeout: short (1 ms) or long (4x + 50 ms)',
    argument: 'short|long',
    create: (argument) => {
      const mode = argument === undefined || argument === '' ? 'short' : argument;
      if (mode !== 'short' && mode !== 'long') throw specError(`lyingPollTimeout: "${mode}" is neither short nor long`);
      return { description: `reports ${mode === 'short' ? 'too short' : 'too long'} poll timeouts`, lyingPollTimeout: mode };
    },
  },
  slowMassErase: {
    summary: 'mass erase takes FACTOR times longer than usual, reported timeout unchanged',
    argument: 'FACTOR=2',
    create: (argument) => {
      const factor = count('slowMassErase', argument, 2);
      return { description: `mass erase ${factor}x slower`, massEraseFactor: factor };
    },
  },
  pollHold: {
    summary: 'holds a GETSTATUS sent while busy until the operation ends (ST BLs mostly)',
    create: () => ({ description: 'holds GETSTATUS while busy', pollWhileBusy: 'hold' }),
  },
  pollAnswerBusy: {
    summary: 'answers a GETSTATUS sent while busy with dfuDNBUSY at once (L4 mostly, H7 per Betaflight)',
    create: () => ({ description: 'answers dfuDNBUSY early', pollWhileBusy: 'answer-busy' }),
  },
  pollFirstHeld: {
    summary: 'runs each operation inside the first GETSTATUS, then answers dfuDNBUSY',
    create: () => ({ description: 'first GETSTATUS held for the operation', pollWhileBusy: 'first-held' }),
  },
  pollStall: {
    summary: 'STALLs every GETSTATUS sent while busy (the STM32L4 behaviour, on any profile)',
    create: () => ({ description: 'STALLs GETSTATUS while busy', pollWhileBusy: 'stall' }),
  },
  pollFlaky: {
    summary: 'a GETSTATUS sent while busy STALLs, fails with EPROTO or answers dfuDNBUSY, at random from SEED',
    argument: 'SEED=1',
    create: (argument) => {
      const seed = count('pollFlaky', argument, 1);
      return { description: `early GETSTATUS STALLs or fails at random (seed ${seed})`, pollWhileBusy: 'flaky', pollSeed: seed };
    },
  },
  noResetAfterOptionBytes: {
    summary: 'newer bootloaders: an option-byte write does not reset; it applies at the next reset',
    create: () => ({ description: 'no reset after option-byte writes', noResetAfterOptionBytes: true }),
  },
  setAddressRefusedWhenProtected: {
    summary: 'read-protected, and Set Address fails with errVENDOR too',
    create: () => ({ description: 'read-protected; Set Address refused', readProtected: true, setAddressRefusedWhenProtected: true }),
  },
  writeProtected: {
    summary: 'internal-flash sector N is write-protected: its erase does nothing without an error, writes fail',
    argument: 'N=1',
    create: (argument) => {
      const sector = count('writeProtected', argument, 1);
      return { description: `sector ${sector} write-protected`, writeProtectedSectors: [sector] };
    },
  },
  addressByLength: {
    summary: 'places block n at pointer + (n-2) x the request length, not x wTransferSize',
    create: () => ({ description: 'block address from the request length', addressFromRequestLength: true }),
  },
  readUnprotectNoOp: {
    summary: 'Read Unprotect at RDP level 0 answers OK and neither erases nor resets',
    create: () => ({ description: 'read unprotect at level 0 does nothing', readUnprotectAtLevel0: 'no-op' }),
  },
  strict: {
    summary: 'STM32C5-like: CLRSTATUS outside dfuERROR STALLs; unaligned erases and leave from dfuIDLE are recorded',
    create: () => ({ description: 'strict protocol checks', strict: true }),
  },
};

export const HEALTHY: ScenarioOptions = { id: 'healthy', description: 'healthy device with a previous application in flash' };

/**
 * Presets with their default arguments (`scenarios.unplugMidWrite` = after 3 data blocks);
 * `disconnectAfter` needs its N and is only reachable through parseScenario.
 */
export const scenarios: Readonly<Record<string, ScenarioOptions>> = (() => {
  const out: Record<string, ScenarioOptions> = {};
  for (const [name, definition] of Object.entries(definitions)) {
    if (definition.argument === 'N') continue;
    out[name] = { id: name, ...definition.create(undefined) };
  }
  return out;
})();

/** "eraseError:3+strict" → merged options. Names are case-sensitive, as listed. */
export function parseScenario(text: string): ScenarioOptions {
  const trimmed = text.trim();
  if (trimmed === '') return HEALTHY;
  let merged: Omit<ScenarioOptions, 'id'> = { description: '' };
  const descriptions: string[] = [];
  for (const part of trimmed.split('+')) {
    const [name = '', ...rest] = part.trim().split(':');
    const definition = definitions[name];
    if (!definition) {
      throw specError(`unknown scenario "${name}"; known: ${Object.keys(definitions).join(', ')}`);
    }
    const created = definition.create(rest.length > 0 ? rest.join(':') : undefined);
    descriptions.push(created.description);
    merged = { ...merged, ...created };
  }
  return { ...merged, id: trimmed, description: descriptions.join('; ') };
}

/** "stm32l073", "stm32l073:unplugMidWrite", "stm32f405:eraseError:2+strict". */
export function parseSimulatorSpec(spec: string): { profile: SimulatorProfile; scenario: ScenarioOptions } {
  const trimmed = spec.trim();
  const colon = trimmed.indexOf(':');
  const profileId = (colon < 0 ? trimmed : trimmed.slice(0, colon)).toLowerCase();
  const profile = profiles[profileId];
  if (!profile) throw specError(`unknown profile "${profileId}"; known: ${Object.keys(profiles).join(', ')}`);
  return { profile, scenario: parseScenario(colon < 0 ? '' : trimmed.slice(colon + 1)) };
}

export interface SimulatorCatalog {
  readonly profiles: readonly { readonly id: string; readonly label: string; readonly description: string }[];
  readonly scenarios: readonly { readonly id: string; readonly argument?: string; readonly summary: string }[];
}

/** What `--simulate` accepts, for CLI help and the app's demo-device menu. */
export function simulatorCatalog(): SimulatorCatalog {
  return {
    profiles: Object.values(profiles).map(({ id, label, description }) => ({ id, label, description })),
    scenarios: Object.entries(definitions).map(([id, definition]) => ({
      id,
      summary: definition.summary,
      ...(definition.argument !== undefined ? { argument: definition.argument } : {}),
    })),
  };
}
