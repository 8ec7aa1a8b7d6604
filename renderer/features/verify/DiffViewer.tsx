import { useEffect, useMemo, useRef, useState } from 'react';
import { formatAddress, formatHexByte } from '../../../core/bytes.js';
import { useApp } from '../../storeContext.js';
import { VirtualList, type VirtualListHandle } from '../../ui/VirtualList.js';
import { useReveal } from '../../ui/useReveal.js';
import { MemoryMap } from '../memoryMap/MemoryMap.js';
import { MapLegend } from '../memoryMap/MapLegend.js';
import { formatBytes, pluralise } from '../../text.js';
import { rowsFromSamples, stepMismatch, type DiffRow, type DiffRows } from './diffRows.js';
import type { VerifyReport } from '../../../core/api.js';

const ROW_HEIGHT = 22;

/** The verification diff: diagnosis first, then where (sector map), then the bytes. */
export function DiffViewer() {
  const report = useApp((state) => state.session?.lastResult?.verify);
  const device = useApp((state) => state.session?.device);
  const setDiffOpen = useApp((state) => state.setDiffOpen);
  const ref = useReveal<HTMLElement>('start');
  if (!report) return null;
  const region = device?.alternates[0]?.layout?.region;
  return (
    <section ref={ref} className="diff-viewer card" aria-label="Verification differences">
      <div className="diff-head">
        <h2>
          {report.isMatch
            ? 'Verification passed: the device matches the image.'
            : `Verification failed: ${formatBytes(report.mismatchCount)} differ in ${pluralise(report.sectorsWithMismatch.length || report.mismatchRanges.length, report.sectorsWithMismatch.length ? 'sector' : 'range')}.`}
        </h2>
        <button className="button" onClick={() => setDiffOpen(false)}>
          Close
        </button>
      </div>
      <p className="diagnosis" data-testid="diagnosis" data-kind={report.diagnosis.kind}>
        <strong>Diagnosis:</strong> {report.diagnosis.message}
      </p>
      <DiffBody report={report} region={region} />
    </section>
  );
}

function DiffBody({ report, region }: { report: VerifyReport; region: Parameters<typeof MemoryMap>[0]['region'] | undefined }) {
  const rows = useMemo<DiffRows>(() => rowsFromSamples(report.samples), [report]);
  const list = useRef<VirtualListHandle>(null);
  const [current, setCurrent] = useState<number | undefined>(() => rows.mismatchRows[0]);
  const position = current === undefined ? 0 : rows.mismatchRows.indexOf(current) + 1;

  const go = (direction: 1 | -1) => {
    const next = stepMismatch(rows.mismatchRows, current, direction);
    if (next === undefined) return;
    setCurrent(next);
    list.current?.scrollToIndex(next);
  };
  const goRef = useRef(go);
  goRef.current = go;

  useEffect(() => {
    // n / p anywhere while the viewer is open, except while typing in a field.
    const onKey = (event: KeyboardEvent) => {
      const target = event.target as HTMLElement | null;
      if (target && (target.tagName === 'INPUT' || target.tagName === 'TEXTAREA' || target.tagName === 'SELECT')) return;
      if (event.ctrlKey || event.metaKey || event.altKey) return;
      if (event.key === 'n') goRef.current(1);
      if (event.key === 'p') goRef.current(-1);
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  return (
    <>
      {region && (
        <>
          <MemoryMap
            region={region}
            label="Sectors that differ"
            mismatchRanges={report.mismatchRanges}
            onPick={(_index, start) => {
              const row = rows.rowAtOrAfter(start);
              setCurrent(row);
              list.current?.scrollToIndex(row);
            }}
          />
          <MapLegend showErase={false} showMismatch />
        </>
      )}
      <div className="diff-nav">
        <button className="button" onClick={() => go(-1)} aria-keyshortcuts="p" disabled={rows.mismatchRows.length === 0}>
          ◀ Previous (p)
        </button>
        <button className="button" onClick={() => go(1)} aria-keyshortcuts="n" disabled={rows.mismatchRows.length === 0}>
          Next (n) ▶
        </button>
        <span className="muted" aria-live="polite">
          {rows.mismatchRows.length > 0 ? `Difference ${position} of ${rows.mismatchRows.length} shown` : 'No byte samples in the report'}
          {report.firstMismatch !== undefined && ` · first at ${formatAddress(report.firstMismatch)}`}
        </span>
      </div>
      <div className="diff-table" role="presentation">
        <div className="diff-row diff-header" role="row">
          <span role="columnheader">Address</span>
          <span role="columnheader">Expected (image)</span>
          <span role="columnheader">Actual (device)</span>
        </div>
        <VirtualList
          ref={list}
          className="diff-list"
          label="Expected and actual bytes"
          count={rows.count}
          rowHeight={ROW_HEIGHT}
          renderRow={(index) => <Row row={rows.row(index)} isCurrent={index === current} />}
        />
      </div>
    </>
  );
}

function Row({ row, isCurrent }: { row: DiffRow; isCurrent: boolean }) {
  if (row.kind === 'gap') {
    return (
      <div className="diff-row diff-gap" role="gridcell">
        … {formatAddress(row.start)}–{formatAddress(row.end)} not sampled ({formatBytes(row.end - row.start)})
      </div>
    );
  }
  return (
    <div className={`diff-row${isCurrent ? ' current' : ''}`}>
      <span className="mono" role="gridcell">
        {formatAddress(row.address)}
      </span>
      <HexCells bytes={row.expected} other={row.actual} />
      <HexCells bytes={row.actual} other={row.expected} />
    </div>
  );
}

/** 16 bytes; differing ones are marked with a class (bold, underlined, coloured), not colour alone. */
function HexCells({ bytes, other }: { bytes: Uint8Array; other: Uint8Array }) {
  const cells = [];
  for (let index = 0; index < bytes.length; index++) {
    const isDifferent = bytes[index] !== other[index];
    cells.push(
      <span key={index} className={isDifferent ? 'byte differs' : 'byte'}>
        {formatHexByte(bytes[index]!)}
      </span>,
    );
  }
  return (
    <span className="mono hex" role="gridcell">
      {cells}
    </span>
  );
}
