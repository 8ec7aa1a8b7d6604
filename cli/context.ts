import type { DfuErrorInfo } from '../core/errors.js';
import type { CommandSpec, OptionValues } from './args.js';
import type { ExitCodeValue } from './exitCodes.js';
import type { Reporter } from './output/reporter.js';
import type { TextSink } from './output/textSink.js';

/** Everything the CLI needs from the process, so tests can run it in-process too. */
export interface CliIo {
  readonly stdout: TextSink;
  readonly stderr: TextSink;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  /** process.platform: chooses the permission hint (udev rule or WinUSB). */
  readonly platform: string;
  /** Monotonic milliseconds, for rates and phase timings. */
  now(): number;
  /** Wall-clock milliseconds since the epoch, for reports and logs. */
  wallClock(): number;
  /** Aborted on Ctrl-C: commands stop at the next safe point. */
  readonly signal: AbortSignal;
}

export interface CommandContext {
  readonly io: CliIo;
  readonly version: string;
  readonly values: OptionValues;
  readonly positionals: readonly string[];
  readonly reporter: Reporter;
  readonly isJson: boolean;
}

/**
 * What a command ends with. `result` becomes the final JSON line (cli.ts adds type, command, ok and
 * exitCode); human text is printed by the command while it runs.
 */
export interface CommandOutcome {
  readonly exitCode: ExitCodeValue;
  readonly result: Readonly<Record<string, unknown>>;
  /** Why the command failed, when exitCode is not 0; printed as the error line. */
  readonly error?: DfuErrorInfo;
}

export interface Command {
  readonly spec: CommandSpec;
  run(context: CommandContext): Promise<CommandOutcome>;
}
