// The phases a job will go through, announced before it starts, with how many bytes each moves:
// the window lays out its progress from this (as probe-rs announces its progress bars) and never
// guesses from the options. A flash job's list comes from its plans, so a plan that erases nothing
// shows no erase step, and a verify of 144 bytes says 144 bytes.
import type { JobKind } from '../contract/programmer.js';
import type { SessionPhase } from '../dfuse/sessionEvents.js';
import { totalLength } from '../image/memoryImage.js';
import { partialSectorProbes, type FlashPreparation } from './flashJob.js';

export interface AnnouncedPhase {
  readonly phase: SessionPhase;
  /** Bytes the phase moves or erases (0 where it does not count bytes: leave, option bytes). */
  readonly bytes: number;
}

/** The phases of a flash or verify run, in the order the session runs them, summed over its plans. */
export function flashPhases(prepared: FlashPreparation): AnnouncedPhase[] {
  const { plans, options } = prepared;
  const sum = (bytesOf: (plan: (typeof plans)[number]) => number) => plans.reduce((total, plan) => total + bytesOf(plan), 0);
  const phases: AnnouncedPhase[] = [];
  if (prepared.kind === 'verify') {
    phases.push({ phase: 'verify', bytes: sum((plan) => totalLength(plan.verifyRanges)) });
    return phases;
  }
  // Reads first: a differential plan's sectors, and the heads and tails of partly covered sectors.
  const read = sum((plan) => totalLength(plan.readRanges)) + totalLength(partialSectorProbes(prepared).map((probe) => probe.range));
  if (read > 0) phases.push({ phase: 'read', bytes: read });
  const erase = sum((plan) => plan.sectors.reduce((total, sector) => total + (sector.end - sector.start), 0));
  if (erase > 0) phases.push({ phase: 'erase', bytes: erase });
  const write = sum((plan) => plan.bytesToWrite);
  // A differential run decides what to write after reading: the step stays, its size comes later.
  if (write > 0 || read > 0) phases.push({ phase: 'write', bytes: write });
  if (options.verify) phases.push({ phase: 'verify', bytes: sum((plan) => totalLength(plan.verifyRanges)) });
  if (prepared.optionBytes) phases.push({ phase: 'option-bytes', bytes: prepared.optionBytes.raw.length });
  if (options.leave) phases.push({ phase: 'leave', bytes: 0 });
  return phases;
}

/** The phases of the jobs that are one step, with the bytes when the caller knows them. */
export function singlePhase(kind: Exclude<JobKind, 'program' | 'verify'>, bytes = 0): AnnouncedPhase[] {
  switch (kind) {
    case 'read':
      return [{ phase: 'read', bytes }];
    case 'erase':
    case 'read-unprotect':
      return [{ phase: 'erase', bytes }];
    case 'option-bytes-read':
    case 'option-bytes-write':
      return [{ phase: 'option-bytes', bytes }];
    case 'leave':
      return [{ phase: 'leave', bytes: 0 }];
  }
}
