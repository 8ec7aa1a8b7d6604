import { useMemo, useState } from 'react';
import { useApp } from '../../storeContext.js';
import { VirtualList } from '../../ui/VirtualList.js';
import { formatTime } from '../../text.js';
import { filterLog, formatLogLine } from './logFilter.js';
import type { LogLevel } from '../../../core/contract/programmer.js';

const levels: LogLevel[] = ['debug', 'info', 'warn', 'error'];

/** The log, one click away: level, search, copy, export. Virtualised; follows new lines at the end. */
export function LogPanel() {
  const isOpen = useApp((state) => state.isLogOpen);
  const setOpen = useApp((state) => state.setLogOpen);
  const log = useApp((state) => state.log);
  const filter = useApp((state) => state.logFilter);
  const setFilter = useApp((state) => state.setLogFilter);
  const exportLog = useApp((state) => state.exportLog);
  const [copied, setCopied] = useState(false);
  const visible = useMemo(() => filterLog(log, filter.minLevel, filter.search), [log, filter]);
  return (
    <section className={`log-panel${isOpen ? ' open' : ''}`} aria-label="Log">
      <div className="log-toolbar">
        <button className="button subtle" aria-expanded={isOpen} aria-controls="log-body" onClick={() => setOpen(!isOpen)}>
          {isOpen ? '▾' : '▸'} Log
        </button>
        <label className="inline-label">
          Level
          <select className="input" value={filter.minLevel} onChange={(event) => setFilter({ minLevel: event.target.value as LogLevel })}>
            {levels.map((level) => (
              <option key={level} value={level}>
                {level}
              </option>
            ))}
          </select>
        </label>
        <input className="input log-search" type="search" placeholder="Filter…" aria-label="Filter log" value={filter.search} onChange={(event) => setFilter({ search: event.target.value })} />
        <span className="muted">
          {visible.length} of {log.length}
        </span>
        <span className="spacer" />
        <button
          className="button subtle"
          onClick={() => {
            void navigator.clipboard?.writeText(visible.map(formatLogLine).join('\n')).then(() => setCopied(true));
            setTimeout(() => setCopied(false), 1500);
          }}
        >
          {copied ? 'Copied' : 'Copy'}
        </button>
        <button className="button subtle" onClick={() => void exportLog()}>
          Export…
        </button>
      </div>
      {isOpen && (
        <div id="log-body" className="log-body">
          <VirtualList
            label="Log entries"
            className="log-list"
            count={visible.length}
            rowHeight={20}
            isFollowingEnd
            renderRow={(index) => {
              const entry = visible[index]!;
              return (
                <div className={`log-line level-${entry.level}`}>
                  <span className="log-time">{formatTime(entry.time)}</span>
                  <span className="log-level">{entry.level}</span>
                  <span className="log-device" title={entry.deviceId}>
                    {entry.deviceId ?? ''}
                  </span>
                  <span className="log-topic">{entry.topic}</span>
                  <span className="log-message" title={entry.message}>
                    {entry.message}
                  </span>
                </div>
              );
            }}
          />
        </div>
      )}
    </section>
  );
}
