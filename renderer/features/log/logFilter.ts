import { formatTime } from '../../text.js';
import type { LogEntry, LogLevel } from '../../../core/contract/programmer.js';

const rank: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

/** Entries at or above `minLevel` whose board, topic or message contains `search` (case-insensitive). */
export function filterLog(entries: readonly LogEntry[], minLevel: LogLevel, search: string): LogEntry[] {
  const needle = search.trim().toLowerCase();
  const floor = rank[minLevel];
  return entries.filter(
    (entry) =>
      rank[entry.level] >= floor &&
      (needle === '' ||
        entry.message.toLowerCase().includes(needle) ||
        entry.topic.toLowerCase().includes(needle) ||
        (entry.deviceId?.toLowerCase().includes(needle) ?? false)),
  );
}

/** One line per entry, the format Copy puts on the clipboard; the board in brackets when there is one. */
export function formatLogLine(entry: LogEntry): string {
  const board = entry.deviceId ? `[${entry.deviceId}] ` : '';
  return `${formatTime(entry.time)}  ${entry.level.toUpperCase().padEnd(5)}  ${entry.topic.padEnd(8)}  ${board}${entry.message}`;
}
