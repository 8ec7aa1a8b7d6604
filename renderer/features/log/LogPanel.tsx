import { useMemo, useState } from 'react';
import { useApp } from '../../storeContext.js';
import { VirtualList } from '../../ui/VirtualList.js';
import { formatTime } from '../../text.js';
import { filterLog, formatLogLine } from './logFilter.js';
import type { LogEntry, LogLevel } from '../../../core/contract/programmer.js';

const levels: LogLevel[] = ['debug', 'info', 'warn', 'error'];

const MIN_HEIGHT = 60;
const MAX_HEIGHT_SHARE = 0.7;

/**
 * The log, one click away: level, search, copy, export. Virtualised; follows new lines at the end.
 * Its top edge drags to resize it; clicking a line shows it whole (wrapped) below, with a Copy of
 * that one entry.
 */
export function LogPanel() {
  const isOpen = useApp((state) => state.isLogOpen);
  const setOpen = useApp((state) => state.setLogOpen);
  const log = useApp((state) => state.log);
  const filter = useApp((state) => state.logFilter);
  const setFilter = useApp((state) => state.setLogFilter);
  const exportLog = useApp((state) => state.exportLog);
  const [copied, setCopied] = useState(false);
  const [height, setHeight] = useState<number | undefined>(undefined);
  const [selected, setSelected] = useState<LogEntry | undefined>(undefined);
  const visible = useMemo(() => filterLog(log, filter.minLevel, filter.search), [log, filter]);
  const startResize = (event: React.PointerEvent<HTMLDivElement>) => {
    const startY = event.clientY;
    const body = document.getElementById('log-body');
    const startHeight = body?.getBoundingClientRect().height ?? 130;
    const onMove = (move: PointerEvent) => {
      const limit = window.innerHeight * MAX_HEIGHT_SHARE;
      setHeight(Math.round(Math.min(limit, Math.max(MIN_HEIGHT, startHeight + startY - move.clientY))));
    };
    const onUp = () => {
      window.removeEventListener('pointermove', onMove);
      window.removeEventListener('pointerup', onUp);
    };
    window.addEventListener('pointermove', onMove);
    window.addEventListener('pointerup', onUp);
  };
  return (
    <section className={`log-panel${isOpen ? ' open' : ''}`} aria-label="Log">
      {isOpen && (
        <div
          className="log-resize"
          role="separator"
          aria-orientation="horizontal"
          aria-label="Resize the log"
          tabIndex={0}
          onPointerDown={startResize}
          onKeyDown={(event) => {
            const current = height ?? document.getElementById('log-body')?.getBoundingClientRect().height ?? 130;
            if (event.key === 'ArrowUp') setHeight(Math.min(window.innerHeight * MAX_HEIGHT_SHARE, current + 20));
            if (event.key === 'ArrowDown') setHeight(Math.max(MIN_HEIGHT, current - 20));
          }}
        />
      )}
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
        <div id="log-body" className="log-body" style={height !== undefined ? { height } : undefined}>
          <VirtualList
            label="Log entries"
            className="log-list"
            count={visible.length}
            rowHeight={20}
            isFollowingEnd
            renderRow={(index) => {
              const entry = visible[index]!;
              return (
                <div
                  className={`log-line level-${entry.level}${entry === selected ? ' selected' : ''}`}
                  role="button"
                  tabIndex={0}
                  aria-pressed={entry === selected}
                  onClick={() => setSelected(entry === selected ? undefined : entry)}
                  onKeyDown={(event) => {
                    if (event.key === 'Enter' || event.key === ' ') {
                      event.preventDefault();
                      setSelected(entry === selected ? undefined : entry);
                    }
                  }}
                >
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
      {isOpen && selected && <LogEntryDetail entry={selected} onClose={() => setSelected(undefined)} />}
    </section>
  );
}

/** One entry in full: the message wrapped, not cut, and a Copy of just this line. */
function LogEntryDetail({ entry, onClose }: { entry: LogEntry; onClose: () => void }) {
  const [copied, setCopied] = useState(false);
  return (
    <div className="log-detail" role="region" aria-label="Log entry">
      <pre className="log-detail-text" data-testid="log-entry-text">
        {formatLogLine(entry)}
      </pre>
      <div className="log-detail-actions">
        <button
          className="button subtle"
          onClick={() => {
            void navigator.clipboard?.writeText(formatLogLine(entry)).then(() => setCopied(true));
            setTimeout(() => setCopied(false), 1500);
          }}
        >
          {copied ? 'Copied' : 'Copy entry'}
        </button>
        <button className="button subtle" onClick={onClose}>
          Close
        </button>
      </div>
    </div>
  );
}
