import { useEffect, useMemo, useRef, useState, type KeyboardEvent, type MouseEvent } from 'react';
import { formatAddress, formatSize } from '../../../core/format.js';
import {
  COVER_FULL,
  COVER_PARTIAL,
  ERASABLE,
  READABLE,
  WRITABLE,
  countFlags,
  gridLayout,
  markSectors,
  sectorAtPoint,
  sectorTable,
  type GridLayout,
  type MarkInput,
  type SectorMarks,
  type SectorTable,
} from './sectorGrid.js';
import { pluralise } from '../../text.js';
import type { MemoryRegion } from '../../../core/dfuse/memoryLayout.js';

interface Props extends MarkInput {
  readonly region: MemoryRegion;
  readonly maxHeight?: number;
  /** Called with a sector index on click / Enter (the diff viewer jumps there). */
  readonly onPick?: (index: number, start: number) => void;
  readonly label?: string;
}

/**
 * A region as a grid of sector cells on one canvas (a few thousand cells redraw in well under a
 * millisecond, where as many DOM nodes would not). Every state has a shape as well as a colour:
 * read-only is hatched, image bytes fill the cell (half for partial), erase is an outline, data
 * loss a corner triangle, a mismatch a cross.
 */
export function MemoryMap({ region, maxHeight = 140, onPick, label, ...input }: Props) {
  const table = useMemo(() => sectorTable(region), [region]);
  const { imageRanges, eraseRanges, preserveRanges, mismatchRanges } = input;
  const marks = useMemo(
    () => markSectors(table, { imageRanges, eraseRanges, preserveRanges, mismatchRanges }),
    [table, imageRanges, eraseRanges, preserveRanges, mismatchRanges],
  );
  const containerRef = useRef<HTMLDivElement>(null);
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const [width, setWidth] = useState(800);
  const [hover, setHover] = useState<{ index: number; x: number; y: number } | undefined>();
  const [focusIndex, setFocusIndex] = useState<number | undefined>();
  const layout = useMemo(() => gridLayout(table.count, width, maxHeight), [table.count, width, maxHeight]);

  useEffect(() => {
    const element = containerRef.current;
    if (!element) return;
    const update = () => setWidth(Math.max(120, Math.floor(element.clientWidth)));
    update();
    if (typeof ResizeObserver === 'undefined') return;
    const observer = new ResizeObserver(update);
    observer.observe(element);
    return () => observer.disconnect();
  }, []);

  const highlighted = hover?.index ?? focusIndex;
  useEffect(() => {
    const canvas = canvasRef.current;
    if (canvas) draw(canvas, layout, table, marks, highlighted);
  }, [layout, table, marks, highlighted]);

  function onMouseMove(event: MouseEvent<HTMLCanvasElement>) {
    const rect = event.currentTarget.getBoundingClientRect();
    const index = sectorAtPoint(layout, table.count, event.clientX - rect.left, event.clientY - rect.top);
    setHover(index === undefined ? undefined : { index, x: event.clientX - rect.left, y: event.clientY - rect.top });
  }

  function onKeyDown(event: KeyboardEvent<HTMLCanvasElement>) {
    const current = focusIndex ?? 0;
    const moves: Record<string, number> = { ArrowRight: 1, ArrowLeft: -1, ArrowDown: layout.columns, ArrowUp: -layout.columns };
    if (event.key in moves) {
      event.preventDefault();
      setFocusIndex(Math.min(table.count - 1, Math.max(0, current + moves[event.key]!)));
    } else if (event.key === 'Home' || event.key === 'End') {
      event.preventDefault();
      setFocusIndex(event.key === 'Home' ? 0 : table.count - 1);
    } else if (event.key === 'Enter' && onPick && focusIndex !== undefined) {
      onPick(focusIndex, table.starts[focusIndex]!);
    }
  }

  const summary = summarise(region, table, marks, input);
  const focusText = focusIndex === undefined ? '' : describeSector(table, marks, focusIndex);
  return (
    <figure className="memory-map" ref={containerRef}>
      <figcaption className="map-caption">
        <strong>{label ?? region.name}</strong> <span className="muted">{summary}</span>
      </figcaption>
      <div className="map-canvas-wrap" style={{ height: layout.height }}>
        <canvas
          ref={canvasRef}
          className="map-canvas"
          tabIndex={0}
          role="img"
          aria-label={`${region.name} sector map: ${summary}. Arrow keys move between sectors.`}
          onMouseMove={onMouseMove}
          onMouseLeave={() => setHover(undefined)}
          onClick={() => hover && onPick?.(hover.index, table.starts[hover.index]!)}
          onKeyDown={onKeyDown}
          onFocus={() => setFocusIndex((index) => index ?? 0)}
          onBlur={() => setFocusIndex(undefined)}
          data-sectors={table.count}
          data-erase={countFlags(marks.willErase)}
          data-mismatch={countFlags(marks.mismatch)}
        />
        {hover && (
          <div className="map-tooltip" role="tooltip" style={{ left: Math.min(hover.x + 12, layout.width - 260), top: hover.y + 14 }}>
            {describeSector(table, marks, hover.index)}
          </div>
        )}
      </div>
      <p className="sr-only" aria-live="polite">
        {focusText}
      </p>
      {focusIndex !== undefined && (
        <p className="map-focus-text" aria-hidden="true">
          {focusText}
        </p>
      )}
    </figure>
  );
}

export function describeSector(table: SectorTable, marks: SectorMarks, index: number): string {
  const start = table.starts[index]!;
  const end = table.ends[index]!;
  const bits = table.access[index]!;
  const access = [bits & READABLE && 'readable', bits & ERASABLE && 'erasable', bits & WRITABLE && 'writable'].filter(Boolean).join(', ') || 'no access';
  const parts = [`Sector ${index}: ${formatAddress(start)}–${formatAddress(end)} (${formatSize(end - start)}), ${access}`];
  if (marks.coverage[index] === COVER_FULL) parts.push('image fills it');
  if (marks.coverage[index] === COVER_PARTIAL) parts.push('image covers part of it');
  if (marks.willErase[index]) parts.push('will be erased');
  if (marks.losesData[index]) parts.push('data outside the image here will be lost');
  if (marks.mismatch[index]) parts.push('differs from the image');
  return parts.join(' · ');
}

function summarise(region: MemoryRegion, table: SectorTable, marks: SectorMarks, input: MarkInput): string {
  const sizes = [...new Set(region.segments.map((segment) => formatSize(segment.sectorSize)))].join(' / ');
  const parts = [`${pluralise(table.count, 'sector')} of ${sizes}`];
  if (input.imageRanges) {
    const partial = countFlags(marks.coverage, COVER_PARTIAL);
    parts.push(`image in ${pluralise(countFlags(marks.coverage, COVER_FULL) + partial, 'sector')}${partial ? ` (${partial} partly)` : ''}`);
  }
  if (input.eraseRanges) parts.push(`${countFlags(marks.willErase)} of ${table.count} will be erased`);
  const losing = countFlags(marks.losesData);
  if (losing) parts.push(`${pluralise(losing, 'partly covered sector')} will lose data`);
  if (input.mismatchRanges) parts.push(`${pluralise(countFlags(marks.mismatch), 'sector')} differ`);
  return parts.join(' · ');
}

interface Palette {
  cell: string;
  readOnly: string;
  hatch: string;
  image: string;
  erase: string;
  warning: string;
  error: string;
  highlight: string;
}

function palette(element: HTMLElement): Palette {
  const style = getComputedStyle(element);
  const read = (name: string, fallback: string) => style.getPropertyValue(name).trim() || fallback;
  return {
    cell: read('--map-cell', '#d8dde6'),
    readOnly: read('--map-readonly', '#eceff3'),
    hatch: read('--map-hatch', '#9aa3b2'),
    image: read('--accent', '#2563eb'),
    erase: read('--map-erase', '#111827'),
    warning: read('--warning', '#d97706'),
    error: read('--error', '#dc2626'),
    highlight: read('--focus', '#f59e0b'),
  };
}

function draw(canvas: HTMLCanvasElement, layout: GridLayout, table: SectorTable, marks: SectorMarks, highlighted: number | undefined): void {
  const ratio = window.devicePixelRatio || 1;
  canvas.width = Math.ceil(layout.width * ratio);
  canvas.height = Math.ceil(layout.height * ratio);
  canvas.style.width = `${layout.width}px`;
  canvas.style.height = `${layout.height}px`;
  const context = canvas.getContext('2d');
  if (!context) return;
  context.setTransform(ratio, 0, 0, ratio, 0, 0);
  context.clearRect(0, 0, layout.width, layout.height);
  const colours = palette(canvas);
  const { cell, gap, columns } = layout;
  const pitch = cell + gap;
  for (let index = 0; index < table.count; index++) {
    const x = (index % columns) * pitch;
    const y = Math.floor(index / columns) * pitch;
    const isWritable = (table.access[index]! & WRITABLE) !== 0;
    context.fillStyle = isWritable ? colours.cell : colours.readOnly;
    context.fillRect(x, y, cell, cell);
    if (!isWritable) {
      context.strokeStyle = colours.hatch;
      context.lineWidth = 1;
      context.beginPath();
      context.moveTo(x, y + cell);
      context.lineTo(x + cell, y);
      if (cell >= 8) {
        context.moveTo(x, y + cell / 2);
        context.lineTo(x + cell / 2, y);
        context.moveTo(x + cell / 2, y + cell);
        context.lineTo(x + cell, y + cell / 2);
      }
      context.stroke();
    }
    const coverage = marks.coverage[index];
    if (coverage === COVER_FULL || coverage === COVER_PARTIAL) {
      context.fillStyle = marks.mismatch[index] ? colours.error : colours.image;
      if (coverage === COVER_FULL) context.fillRect(x, y, cell, cell);
      else context.fillRect(x, y + cell / 2, cell, cell / 2);
    } else if (marks.mismatch[index]) {
      context.fillStyle = colours.error;
      context.fillRect(x, y, cell, cell);
    }
    if (marks.mismatch[index] && cell >= 5) {
      context.strokeStyle = '#ffffff';
      context.lineWidth = 1;
      context.beginPath();
      context.moveTo(x + 1, y + 1);
      context.lineTo(x + cell - 1, y + cell - 1);
      context.moveTo(x + cell - 1, y + 1);
      context.lineTo(x + 1, y + cell - 1);
      context.stroke();
    }
    if (marks.willErase[index]) {
      context.strokeStyle = colours.erase;
      context.lineWidth = cell >= 8 ? 2 : 1;
      const inset = context.lineWidth / 2;
      context.strokeRect(x + inset, y + inset, cell - 2 * inset, cell - 2 * inset);
    }
    if (marks.losesData[index]) {
      context.fillStyle = colours.warning;
      context.beginPath();
      context.moveTo(x + cell, y);
      context.lineTo(x + cell, y + Math.max(3, cell * 0.6));
      context.lineTo(x + cell - Math.max(3, cell * 0.6), y);
      context.closePath();
      context.fill();
    }
  }
  if (highlighted !== undefined && highlighted < table.count) {
    const x = (highlighted % columns) * pitch;
    const y = Math.floor(highlighted / columns) * pitch;
    context.strokeStyle = colours.highlight;
    context.lineWidth = 2;
    context.strokeRect(x - 1, y - 1, cell + 2, cell + 2);
  }
}
