import { describe, type DfuErrorInfo } from '../core/errors.js';

/** The error object of a JSON result: the typed info (kind and its fields) plus its one-line message. */
export function errorJson(info: DfuErrorInfo): Record<string, unknown> {
  return { ...info, message: describe(info) };
}
