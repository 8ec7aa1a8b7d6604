import { DfuError } from '../errors.js';

/**
 * Runs `action` and returns what it throws when that is a `type`; fails the test when it throws
 * nothing or something else.
 */
export function thrownBy<T>(type: abstract new (...args: never[]) => T, action: () => unknown): T {
  try {
    action();
  } catch (error) {
    if (error instanceof type) return error;
    throw error;
  }
  throw new Error(`expected a ${type.name}, but nothing was thrown`);
}

/** Runs `action` and returns the DfuError it throws; fails the test when it throws nothing or something else. */
export function dfuErrorOf(action: () => unknown): DfuError {
  return thrownBy(DfuError, action);
}
