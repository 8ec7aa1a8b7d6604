import { useEffect, useMemo, useRef, useState, type KeyboardEvent, type MouseEvent } from 'react';
import { formatAddress, formatSize } from '../../../core/format.js';
import {
  CONTENT_BLANK,
  CONTENT_DATA,
  CONTENT_DIFFERS,
  CONTENT_MATCHES,
  COVER_FULL,
  COVER_PARTIAL,
  ERASABLE,
  READABLE,
  WRITABLE,
  addressAtPoint,
  contentOfSectors,
  countFlags,
  markSectors,
  rangePieces,
  scaleLayout,
  sectorAtAddress,
  sectorTable,
  type ContentInput,
  type MarkInput,
  type ScaleLayout,
  type SectorMarks,
  type SectorTable,
} from './sectorGrid.js';
import { pluralise } from '../../text.js';
import type { AddressRange } from '../../../core/contract/programmer.js';
import type { MemoryRegion } from '../../../core/dfuse/memoryLayout.js';

interface Props extends MarkInput {
  readonly region: MemoryRegion;
  readonly maxHeight?: number;
  /** Called with a sector index on click / Enter (the diff viewer jumps there). */
  readonly onPick?: (index: number, start: number) => void;
  readonly label?: string;
  /** What is on the chip, when known: drawn as a band under each row, beside the plan. */
  readonly content?: ContentInput;
}

/**
 * A region drawn to scale on one canvas: rows of equal address spans (a 128 KiB sector is eight
 * times as wide as a 16 KiB one), the row start addresses on the left axis, offsets on the top one.
 * Every state has a shape as well as a colour: read-only is hatched, image bytes fill their exact
 * span, erase is an outline, data loss a corner triangle, a mismatch a cross. Under each row, when
 * the device's content is known, a band: hollow for blank, grey for data, green where a
 * verification matched, red where it differed.
 */
export function MemoryMap({ region, maxHeight = 140, onPick, label, content, ...input }: Props) {
  const table = useMemo(() => sectorTable(region), [region]);
  const { imageRanges, eraseRanges, preserveRanges, mismatchRanges } = input;
  const marks = useMemo(
    () => markSectors(table, { imageRanges, eraseRanges, preserveRanges, mismatchRanges }),
    [table, imageRanges, eraseRanges, preserveRanges, mismatchRanges],
  );
  const contentStates = useMemo(() => (content ? contentOfSectors(table, content) : undefined), [table, content]);
  const hasContent = contentStates !== undefined && contentStates.some((state) => state !== 0);
  const containerRef = useRef<HTMLDivElement>(null);
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const [width, setWidth] = useState(800);
  const [hover, setHover] = useState<{ index: number; x: number; y: number } | undefined>();
  const [focusIndex, setFocusIndex] = useState<number | undefined>();
  const layout = useMemo(() => scaleLayout(table, width, maxHeight, hasContent), [table, width, maxHeight, hasContent]);

  useEffect(() => {
    const element = containerRef.current;
    if (!element) return;
    const update = () => setWidth(Math.max(160, Math.floor(element.clientWidth)));
    update();
    if (typeof ResizeObserver === 'undefined') return;
    const observer = new ResizeObserver(update);
    observer.observe(element);
    return () => observer.disconnect();
  }, []);

  const highlighted = hover?.index ?? focusIndex;
  useEffect(() => {
    const canvas = canvasRef.current;
    if (canvas) draw(canvas, { layout, table, marks, imageRanges, mismatchRanges, content: hasContent ? contentStates : undefined, highlighted });
  }, [layout, table, marks, imageRanges, mismatchRanges, contentStates, hasContent, highlighted]);

  function onMouseMove(event: MouseEvent<HTMLCanvasElement>) {
    const rect = event.currentTarget.getBoundingClientRect();
    const x = event.clientX - rect.left;
    const y = event.clientY - rect.top;
    const address = addressAtPoint(layout, x, y);
    const index = address === undefined ? undefined : sectorAtAddress(table, address);
    setHover(index === undefined ? undefined : { index, x, y });
  }

  function onKeyDown(event: KeyboardEvent<HTMLCanvasElement>) {
    const current = focusIndex ?? 0;
    const vertical: Record<string, number> = { ArrowDown: layout.rowBytes, ArrowUp: -layout.rowBytes };
    if (event.key === 'ArrowRight' || event.key === 'ArrowLeft') {
      event.preventDefault();
      setFocusIndex(Math.min(table.count - 1, Math.max(0, current + (event.key === 'ArrowRight' ? 1 : -1))));
    } else if (event.key in vertical) {
      event.preventDefault();
      // The sector a row below (or above), or the next one that way across a gap or past the end.
      const target = table.starts[current]! + vertical[event.key]!;
      const found = sectorAtAddress(table, target);
      const step = vertical[event.key]! > 0 ? 1 : -1;
      setFocusIndex(found ?? Math.min(table.count - 1, Math.max(0, current + step)));
    } else if (event.key === 'Home' || event.key === 'End') {
      event.preventDefault();
      setFocusIndex(event.key === 'Home' ? 0 : table.count - 1);
    } else if (event.key === 'Enter' && onPick && focusIndex !== undefined) {
      onPick(focusIndex, table.starts[focusIndex]!);
    }
  }

  const summary = summarise(region, table, marks, input, layout, hasContent ? contentStates : undefined);
  const focusText = focusIndex === undefined ? '' : describeSector(table, marks, focusIndex, contentStates);
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
          aria-label={`${region.name} sector map, to scale: ${summary}. Arrow keys move between sectors.`}
          onMouseMove={onMouseMove}
          onMouseLeave={() => setHover(undefined)}
          onClick={() => hover && onPick?.(hover.index, table.starts[hover.index]!)}
          onKeyDown={onKeyDown}
          onFocus={() => setFocusIndex((index) => index ?? 0)}
          onBlur={() => setFocusIndex(undefined)}
          data-sectors={table.count}
          data-erase={countFlags(marks.willErase)}
          data-mismatch={countFlags(marks.mismatch)}
          data-row-bytes={layout.rowBytes}
          data-rows={layout.rows}
          data-content-blank={contentStates ? countFlags(contentStates, CONTENT_BLANK) : 0}
          data-content-data={contentStates ? countFlags(contentStates, CONTENT_DATA) : 0}
          data-content-matches={contentStates ? countFlags(contentStates, CONTENT_MATCHES) : 0}
          data-content-differs={contentStates ? countFlags(contentStates, CONTENT_DIFFERS) : 0}
        />
        {hover && (
          <div className="map-tooltip" role="tooltip" style={{ left: Math.min(hover.x + 12, layout.width - 260), top: hover.y + 14 }}>
            {describeSector(table, marks, hover.index, contentStates)}
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

const contentWords: Record<number, string> = {
  [CONTENT_BLANK]: 'on the chip: blank',
  [CONTENT_DATA]: 'on the chip: data',
  [CONTENT_MATCHES]: 'on the chip: matches the image',
  [CONTENT_DIFFERS]: 'on the chip: differs from the image',
};

export function describeSector(table: SectorTable, marks: SectorMarks, index: number, content?: Uint8Array): string {
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
  const known = content?.[index];
  if (known) parts.push(contentWords[known]!);
  return parts.join(' · ');
}

function summarise(region: MemoryRegion, table: SectorTable, marks: SectorMarks, input: MarkInput, layout: ScaleLayout, content: Uint8Array | undefined): string {
  const sizes = [...new Set(region.segments.map((segment) => formatSize(segment.sectorSize)))].join(' / ');
  const parts = [`${pluralise(table.count, 'sector')} of ${sizes}`, `to scale, ${layout.rows > 1 ? `${formatSize(layout.rowBytes)} a row` : `${formatSize(layout.rowBytes)} wide`}`];
  if (input.imageRanges) {
    const partial = countFlags(marks.coverage, COVER_PARTIAL);
    parts.push(`image in ${pluralise(countFlags(marks.coverage, COVER_FULL) + partial, 'sector')}${partial ? ` (${partial} partly)` : ''}`);
  }
  if (input.eraseRanges) parts.push(`${countFlags(marks.willErase)} of ${table.count} will be erased`);
  const losing = countFlags(marks.losesData);
  if (losing) parts.push(`${pluralise(losing, 'partly covered sector')} will lose data`);
  if (input.mismatchRanges) parts.push(`${pluralise(countFlags(marks.mismatch), 'sector')} differ`);
  if (content) {
    const known = [
      [countFlags(content, CONTENT_BLANK), 'blank'],
      [countFlags(content, CONTENT_DATA), 'with data'],
      [countFlags(content, CONTENT_MATCHES), 'matching the image'],
      [countFlags(content, CONTENT_DIFFERS), 'differing'],
    ] as const;
    const said = known.filter(([count]) => count > 0).map(([count, word]) => `${count} ${word}`);
    if (said.length) parts.push(`on the chip: ${said.join(', ')}`);
  }
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
  ok: string;
  data: string;
  text: string;
  surface: string;
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
    ok: read('--ok', '#15803d'),
    data: read('--map-data', '#6b7280'),
    text: read('--muted', '#5b6577'),
    surface: read('--surface', '#ffffff'),
  };
}

interface DrawInput {
  readonly layout: ScaleLayout;
  readonly table: SectorTable;
  readonly marks: SectorMarks;
  readonly imageRanges: readonly AddressRange[] | undefined;
  readonly mismatchRanges: readonly AddressRange[] | undefined;
  readonly content: Uint8Array | undefined;
  readonly highlighted: number | undefined;
}

function draw(canvas: HTMLCanvasElement, input: DrawInput): void {
  const { layout, table, marks, content, highlighted } = input;
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
  const band = layout.rowHeight;
  drawAxes(context, layout, colours);

  // Sectors: the cell, hatched when read-only, a 1 px seam at each sector start.
  for (let index = 0; index < table.count; index++) {
    const isWritable = (table.access[index]! & WRITABLE) !== 0;
    const pieces = rangePieces(layout, { start: table.starts[index]!, end: table.ends[index]! });
    for (const piece of pieces) {
      context.fillStyle = isWritable ? colours.cell : colours.readOnly;
      context.fillRect(piece.x, piece.y, piece.width, band);
      if (!isWritable) hatch(context, piece.x, piece.y, piece.width, band, colours.hatch);
    }
    const first = pieces[0];
    if (first && first.width >= 3) {
      context.fillStyle = colours.surface;
      context.fillRect(first.x, first.y, 1, band);
    }
  }
  // The image, byte for byte to scale; the differing bytes over it.
  context.fillStyle = colours.image;
  for (const range of input.imageRanges ?? []) for (const piece of rangePieces(layout, range)) context.fillRect(piece.x, piece.y + 2, Math.max(1, piece.width), band - 4);
  context.fillStyle = colours.error;
  for (const range of input.mismatchRanges ?? []) for (const piece of rangePieces(layout, range)) context.fillRect(piece.x, piece.y, Math.max(1, piece.width), band);
  for (let index = 0; index < table.count; index++) {
    const pieces = rangePieces(layout, { start: table.starts[index]!, end: table.ends[index]! });
    if (marks.mismatch[index]) {
      for (const piece of pieces) if (piece.width >= 6) cross(context, piece.x, piece.y, piece.width, band, '#ffffff');
    }
    if (marks.willErase[index]) {
      context.strokeStyle = colours.erase;
      context.lineWidth = band >= 11 ? 2 : 1;
      const inset = context.lineWidth / 2;
      for (const piece of pieces) context.strokeRect(piece.x + inset, piece.y + inset, Math.max(1, piece.width - 2 * inset), band - 2 * inset);
    }
    if (marks.losesData[index]) {
      const last = pieces[pieces.length - 1];
      if (last) {
        const size = Math.min(Math.max(4, band * 0.6), Math.max(4, last.width));
        context.fillStyle = colours.warning;
        context.beginPath();
        context.moveTo(last.x + last.width, last.y);
        context.lineTo(last.x + last.width, last.y + size);
        context.lineTo(last.x + last.width - size, last.y);
        context.closePath();
        context.fill();
      }
    }
    // The device's content, in the band under the row.
    const state = content?.[index];
    if (state) {
      for (const piece of pieces) {
        const y = piece.y + band + 1;
        const height = layout.contentHeight - 1;
        if (state === CONTENT_BLANK) {
          context.strokeStyle = colours.hatch;
          context.lineWidth = 1;
          context.strokeRect(piece.x + 0.5, y + 0.5, Math.max(1, piece.width - 1), Math.max(1, height - 1));
        } else {
          context.fillStyle = state === CONTENT_MATCHES ? colours.ok : state === CONTENT_DIFFERS ? colours.error : colours.data;
          context.fillRect(piece.x, y, Math.max(1, piece.width), height);
        }
      }
    }
  }
  if (highlighted !== undefined && highlighted < table.count) {
    context.strokeStyle = colours.highlight;
    context.lineWidth = 2;
    for (const piece of rangePieces(layout, { start: table.starts[highlighted]!, end: table.ends[highlighted]! })) {
      context.strokeRect(piece.x - 1, piece.y - 1, piece.width + 2, band + layout.contentHeight + 2);
    }
  }
}

/** Left axis: each row's start address; top axis: offsets within a row, in quarters. */
function drawAxes(context: CanvasRenderingContext2D, layout: ScaleLayout, colours: Palette): void {
  context.fillStyle = colours.text;
  context.font = '10px ui-monospace, monospace';
  context.textBaseline = 'middle';
  const pitch = layout.rowHeight + layout.contentHeight + layout.rowGap;
  const every = Math.max(1, Math.ceil(12 / pitch));
  for (let row = 0; row < layout.rows; row += every) {
    context.textAlign = 'left';
    context.fillText(formatAddress(layout.start + row * layout.rowBytes), 0, layout.axisHeight + row * pitch + layout.rowHeight / 2);
  }
  context.textBaseline = 'top';
  // Quarters where they are whole numbers of bytes; otherwise only the two ends.
  const steps = layout.rowBytes % 4 === 0 && layout.rowBytes >= 64 ? 4 : 1;
  for (let step = 0; step <= steps; step++) {
    const quarter = (step * 4) / steps;
    const x = layout.labelWidth + (quarter * layout.plotWidth) / 4;
    context.textAlign = quarter === 0 ? 'left' : quarter === 4 ? 'right' : 'center';
    context.fillText(`+${formatSize((quarter * layout.rowBytes) / 4)}`, x, 0);
    context.fillRect(Math.min(x, layout.width - 1), layout.axisHeight - 3, 1, 3);
  }
}

function hatch(context: CanvasRenderingContext2D, x: number, y: number, width: number, height: number, colour: string): void {
  context.save();
  context.beginPath();
  context.rect(x, y, width, height);
  context.clip();
  context.strokeStyle = colour;
  context.lineWidth = 1;
  context.beginPath();
  for (let offset = -height; offset < width; offset += 6) {
    context.moveTo(x + offset, y + height);
    context.lineTo(x + offset + height, y);
  }
  context.stroke();
  context.restore();
}

function cross(context: CanvasRenderingContext2D, x: number, y: number, width: number, height: number, colour: string): void {
  const size = Math.min(width, height) - 2;
  const cx = x + width / 2;
  const cy = y + height / 2;
  context.strokeStyle = colour;
  context.lineWidth = 1;
  context.beginPath();
  context.moveTo(cx - size / 2, cy - size / 2);
  context.lineTo(cx + size / 2, cy + size / 2);
  context.moveTo(cx + size / 2, cy - size / 2);
  context.lineTo(cx - size / 2, cy + size / 2);
  context.stroke();
}
