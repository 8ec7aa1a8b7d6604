import { DfuError } from '../errors.js';

/** Runs `action` and returns the DfuError it throws; fails the test when it throws nothing or something else. */
export function dfuErrorOf(action: () => unknown): DfuError {
  try {
    action();
  } catch (error) {
    if (error instanceof DfuError) return error;
    throw error;
  }
  throw new Error('expected a DfuError, but nothing was thrown');
}
