import { useEffect, useMemo, useRef, useState } from 'react';
import { MAX_VERIFY_WINDOW_BYTES } from '../../../core/contract/programmer.js';
import { formatAddress, formatHexByte } from '../../../core/format.js';
import { useApp } from '../../storeContext.js';
import { VirtualList, type VirtualListHandle } from '../../ui/VirtualList.js';
import { useReveal } from '../../ui/useReveal.js';
import { MemoryMap } from '../memoryMap/MemoryMap.js';
import { MapLegend } from '../memoryMap/MapLegend.js';
import { RemedyButton } from './RemedyButton.js';
import { errorText, formatBytes, pluralise } from '../../text.js';
import { byteDiffers, HAS_ACTUAL, HAS_EXPECTED, mismatchLayout, rowsFromMismatches, rowsFromSamples, stepMismatch, type DiffRow, type DiffRows } from './diffRows.js';
import type { VerifyReport } from '../../../core/contract/programmer.js';

const ROW_HEIGHT = 22;

/** The verification diff: diagnosis first, then where (sector map), then the bytes. */
export function DiffViewer() {
  const result = useApp((state) => state.session?.lastResult);
  const report = result?.verify;
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
      <div className="diagnosis-line">
        <p className="diagnosis" data-testid="diagnosis" data-kind={report.diagnosis.kind}>
          <strong>Diagnosis:</strong> {report.diagnosis.message}
        </p>
        <RemedyButton />
      </div>
      <DiffBody key={`${result.deviceId}@${result.finishedAt}`} report={report} region={region} />
    </section>
  );
}

function DiffBody({ report, region }: { report: VerifyReport; region: Parameters<typeof MemoryMap>[0]['region'] | undefined }) {
  // The whole mismatch, its bytes fetched from main window by window as rows come into view;
  // the report's samples when main cannot serve them.
  const layout = useMemo(() => mismatchLayout(report.mismatchRanges), [report]);
  const windows = useApp((state) => state.verifyBytes?.windows);
  const fetchError = useApp((state) => state.verifyBytes?.error);
  const loadVerifyWindows = useApp((state) => state.loadVerifyWindows);
  const samples = useMemo(() => rowsFromSamples(report.samples), [report]);
  const rows = useMemo<DiffRows>(() => {
    if (fetchError) return samples;
    return rowsFromMismatches(layout, (address) => windows?.get(address - (address % MAX_VERIFY_WINDOW_BYTES)));
  }, [fetchError, samples, layout, windows]);
  const list = useRef<VirtualListHandle>(null);
  // The current difference belongs to one row source; falling back to the samples starts over.
  const source = fetchError ? 'samples' : 'whole';
  const [selection, setSelection] = useState<{ source: string; row: number | undefined }>(() => ({ source, row: rows.mismatchRows[0] }));
  if (selection.source !== source) setSelection({ source, row: rows.mismatchRows[0] });
  const current = selection.source === source ? selection.row : rows.mismatchRows[0];
  const setCurrent = (row: number | undefined) => setSelection({ source, row });
  const position = current === undefined ? 0 : positionOf(rows.mismatchRows, current);
  const currentAddress = current === undefined ? undefined : firstDifferenceIn(rows.row(current));

  const onRangeChange = (first: number, last: number) => {
    if (fetchError) return;
    const addresses: number[] = [];
    for (let index = first; index < last; index++) {
      const address = layout.addressOf(index);
      if (address !== undefined) addresses.push(address);
    }
    if (addresses.length > 0) void loadVerifyWindows(addresses);
  };

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
          {rows.mismatchRows.length > 0
            ? `Difference ${position} of ${rows.mismatchRows.length}${fetchError ? ' sampled' : ''}${currentAddress !== undefined ? ` at ${formatAddress(currentAddress)}` : ''}`
            : fetchError
              ? 'No byte samples in the report'
              : 'No differing bytes'}
          {report.firstMismatch !== undefined && ` · first at ${formatAddress(report.firstMismatch)}`}
        </span>
      </div>
      {fetchError && (
        <p className="muted" role="note">
          Only the samples in the report are shown: {errorText(fetchError).title.toLowerCase()}.
        </p>
      )}
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
          onRangeChange={onRangeChange}
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
        … {formatAddress(row.start)}–{formatAddress(row.end)} {row.reason === 'not-sampled' ? 'not sampled' : 'no differences'} ({formatBytes(row.end - row.start)})
      </div>
    );
  }
  if (row.kind === 'loading') {
    return (
      <div className={`diff-row diff-loading${isCurrent ? ' current' : ''}`} data-address={row.address}>
        <span className="mono" role="gridcell">
          {formatAddress(row.address)}
        </span>
        <span className="muted" role="gridcell">
          loading…
        </span>
      </div>
    );
  }
  return (
    <div className={`diff-row${isCurrent ? ' current' : ''}`} data-address={row.address}>
      <span className="mono" role="gridcell">
        {formatAddress(row.address)}
      </span>
      <HexCells row={row} side="expected" />
      <HexCells row={row} side="actual" />
    </div>
  );
}

/**
 * 16 bytes; differing ones are marked with a class (bold, underlined, coloured), not colour alone.
 * A byte the side does not have (outside the image, or not read back) shows as "··".
 */
function HexCells({ row, side }: { row: Extract<DiffRow, { kind: 'bytes' }>; side: 'expected' | 'actual' }) {
  const bytes = row[side];
  const flag = side === 'expected' ? HAS_EXPECTED : HAS_ACTUAL;
  const cells = [];
  for (let index = 0; index < bytes.length; index++) {
    const isPresent = ((row.mask?.[index] ?? flag) & flag) !== 0;
    const className = `byte${byteDiffers(row, index) ? ' differs' : ''}${isPresent ? '' : ' absent'}`;
    cells.push(
      <span key={index} className={className}>
        {isPresent ? formatHexByte(bytes[index]!) : '··'}
      </span>,
    );
  }
  return (
    <span className="mono hex" role="gridcell">
      {cells}
    </span>
  );
}

/** Where the current difference is: the first differing byte of its row (the row start while it loads). */
function firstDifferenceIn(row: DiffRow): number | undefined {
  if (row.kind === 'gap') return undefined;
  if (row.kind === 'loading') return row.address;
  for (let index = 0; index < row.expected.length; index++) if (byteDiffers(row, index)) return row.address + index;
  return row.address;
}

/** 1-based position of `row` among the difference rows (binary search: there may be many). */
function positionOf(differenceRows: Int32Array, row: number): number {
  let low = 0;
  let high = differenceRows.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (differenceRows[mid]! < row) low = mid + 1;
    else high = mid;
  }
  return differenceRows[low] === row ? low + 1 : 0;
}
