import { formatAddress } from '../../core/format.js';
import type { DfuErrorInfo } from '../../core/contract/programmer.js';

/** The error's data, addresses as 0x-hex, one field per line: what a bug report needs. */
export function describeForDetails(error: DfuErrorInfo): string {
  return Object.entries(error)
    .map(([key, value]) => `${key}: ${typeof value === 'number' && /address|start|end/i.test(key) ? formatAddress(value) : JSON.stringify(value)}`)
    .join('\n');
}
