// The renderer's only door to the device: the object the preload (or the test host's shim)
// exposes. Nothing else in the renderer talks to main.
import type { ProgrammerBridge } from '../core/contract/programmer.js';

declare global {
  interface Window {
    readonly programmer?: ProgrammerBridge;
  }
}

export type { ProgrammerBridge };

/** The bridge, or undefined when the page was opened outside the app (shown as a plain message). */
export function findBridge(): ProgrammerBridge | undefined {
  return window.programmer;
}
