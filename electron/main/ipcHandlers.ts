// The logic behind every ipcMain handler, free of Electron so it is tested directly: sender check,
// argument validation (core/apiValidation.ts), the call, and Result wrapping. Errors cross IPC as
// their DfuErrorInfo because Electron keeps only `message` of a thrown error.

import { channelFor, GRANT_FILE_CHANNEL, methodNames } from '../../core/contract/programmer.js';
import type { FileGrant, Programmer, ProgrammerMethod, Result } from '../../core/contract/programmer.js';
import { validateArguments, validateDroppedPath } from '../../core/contract/validation.js';
import { DfuError } from '../../core/errors.js';

export type IpcHandler<E> = (event: E, ...args: unknown[]) => Promise<Result<unknown>>;

export interface IpcHandlerOptions<E> {
  /** False for calls from any frame that is not our window's top frame showing our own page. */
  readonly isTrustedSender: (event: E) => boolean;
  /** Told about anything that is not a DfuError (a bug), with its stack. */
  readonly onInternalError: (method: ProgrammerMethod, error: unknown) => void;
  /**
   * Grants a token for a file dropped on the window, whose path the preload derived from the File
   * (GRANT_FILE_CHANNEL). Only the Electron app has it: in the browser host nothing can send a
   * path, so dropped files arrive as bytes.
   */
  readonly grantFile?: (path: string) => FileGrant;
}

const untrustedSender = { ok: false, error: { kind: 'invalid-argument', argument: 'sender', reason: 'call from a frame that is not the DFU Desk window' } } as const;

export function createIpcHandlers<E>(programmer: Programmer, options: IpcHandlerOptions<E>): Map<string, IpcHandler<E>> {
  const handlers = new Map<string, IpcHandler<E>>();
  for (const method of methodNames) {
    handlers.set(channelFor(method), async (event, ...args) => {
      if (!options.isTrustedSender(event)) return untrustedSender;
      try {
        const validated = validateArguments(method, args);
        const value = await (programmer[method] as (...callArgs: unknown[]) => Promise<unknown>).apply(programmer, validated);
        return { ok: true, value };
      } catch (error) {
        if (error instanceof DfuError) return { ok: false, error: error.info };
        options.onInternalError(method, error);
        return { ok: false, error: { kind: 'internal', message: error instanceof Error ? error.message : String(error) } };
      }
    });
  }
  const { grantFile } = options;
  if (grantFile) {
    handlers.set(GRANT_FILE_CHANNEL, (event, ...args) => {
      if (!options.isTrustedSender(event)) return Promise.resolve(untrustedSender);
      try {
        if (args.length !== 1) throw new DfuError({ kind: 'invalid-argument', argument: 'arguments', reason: `expected 1 argument, got ${args.length}` });
        return Promise.resolve({ ok: true, value: grantFile(validateDroppedPath(args[0])) });
      } catch (error) {
        if (error instanceof DfuError) return Promise.resolve({ ok: false, error: error.info });
        return Promise.resolve({ ok: false, error: { kind: 'internal', message: error instanceof Error ? error.message : String(error) } });
      }
    });
  }
  return handlers;
}

/** The parts of Electron's WebFrameMain that identify a frame. */
export interface FrameIdentity {
  readonly processId: number;
  readonly routingId: number;
  readonly url: string;
}

/**
 * True when `sender` is the window's own top frame showing a page under `appOrigin`
 * (Electron security checklist: "Validate the sender of all IPC messages").
 */
export function isTrustedFrame(sender: FrameIdentity | null | undefined, mainFrame: FrameIdentity, appOrigin: string): boolean {
  if (!sender) return false;
  if (sender.processId !== mainFrame.processId || sender.routingId !== mainFrame.routingId) return false;
  return originOf(sender.url) === appOrigin;
}

/**
 * "scheme://host" of a URL. Not URL.origin: WHATWG URL reports "null" for schemes it does not
 * know, such as our privileged app:// scheme.
 */
export function originOf(url: string): string | undefined {
  try {
    const parsed = new URL(url);
    return parsed.host ? `${parsed.protocol}//${parsed.host}` : undefined;
  } catch {
    return undefined;
  }
}
