// The events the CLI streams while it works. In --json mode each one is printed as it happens, one
// object per line; docs/cli.md documents every field, so names here are a public interface.
import type { Phase } from '../../core/contract/programmer.js';

export type { Phase };

export type { LogLevel } from '../../core/dfuse/sessionEvents.js';
import type { LogLevel } from '../../core/dfuse/sessionEvents.js';

export type CliEvent =
  | {
      readonly type: 'phase';
      readonly device?: string;
      readonly phase: Phase;
      readonly status: 'start' | 'finish' | 'failed';
      /** On finish and failed: how long the phase took and how many bytes it moved. */
      readonly elapsedMs?: number;
      readonly bytes?: number;
    }
  | {
      readonly type: 'progress';
      readonly device?: string;
      readonly phase: Phase;
      readonly done: number;
      readonly total: number;
      readonly bytesPerSecond: number;
      readonly etaMs?: number;
    }
  | {
      readonly type: 'log';
      readonly device?: string;
      readonly level: LogLevel;
      readonly message: string;
      readonly data?: Readonly<Record<string, unknown>>;
    }
  | {
      /** Hotplug seen by station mode (--watch). */
      readonly type: 'device';
      readonly event: 'attach' | 'detach';
      readonly device: string;
    };
