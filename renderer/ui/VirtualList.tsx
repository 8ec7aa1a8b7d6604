import { forwardRef, useCallback, useEffect, useImperativeHandle, useLayoutEffect, useRef, useState, type ReactNode } from 'react';

export interface VirtualListHandle {
  scrollToIndex(index: number): void;
}

interface Props {
  readonly count: number;
  readonly rowHeight: number;
  readonly renderRow: (index: number) => ReactNode;
  readonly className?: string;
  readonly label: string;
  readonly overscan?: number;
  readonly onKeyDown?: (event: React.KeyboardEvent<HTMLDivElement>) => void;
  /** Keep the view pinned to the last row while new rows arrive (log panel). */
  readonly isFollowingEnd?: boolean;
  /** Told which rows are rendered (first inclusive, last exclusive) whenever that changes: load data for them. */
  readonly onRangeChange?: (first: number, last: number) => void;
}

/**
 * Fixed-height rows; only the visible ones (plus overscan) are in the DOM, so 131,072 rows of a
 * 2 MiB diff cost the same as 30. The spacer keeps the native scrollbar honest.
 */
export const VirtualList = forwardRef<VirtualListHandle, Props>(function VirtualList(
  { count, rowHeight, renderRow, className, label, overscan = 8, onKeyDown, isFollowingEnd, onRangeChange },
  handle,
) {
  const ref = useRef<HTMLDivElement>(null);
  const [view, setView] = useState({ top: 0, height: 400 });
  const measure = useCallback(() => {
    const element = ref.current;
    if (element) setView({ top: element.scrollTop, height: element.clientHeight || 400 });
  }, []);

  useLayoutEffect(() => {
    measure();
    const element = ref.current;
    if (!element || typeof ResizeObserver === 'undefined') return;
    const observer = new ResizeObserver(measure);
    observer.observe(element);
    return () => observer.disconnect();
  }, [measure]);

  useLayoutEffect(() => {
    const element = ref.current;
    if (isFollowingEnd && element) {
      element.scrollTop = element.scrollHeight;
      measure();
    }
  }, [count, isFollowingEnd, measure]);

  useImperativeHandle(handle, () => ({
    scrollToIndex(index: number) {
      const element = ref.current;
      if (!element) return;
      const top = index * rowHeight;
      if (top < element.scrollTop || top + rowHeight > element.scrollTop + element.clientHeight) {
        element.scrollTop = Math.max(0, top - element.clientHeight / 3);
      }
      measure();
    },
  }));

  const first = Math.max(0, Math.floor(view.top / rowHeight) - overscan);
  const last = Math.min(count, Math.ceil((view.top + view.height) / rowHeight) + overscan);
  const onRange = useRef(onRangeChange);
  onRange.current = onRangeChange;
  useEffect(() => onRange.current?.(first, last), [first, last]);
  const rows: ReactNode[] = [];
  for (let index = first; index < last; index++) {
    rows.push(
      <div key={index} className="virtual-row" role="row" style={{ top: index * rowHeight, height: rowHeight }}>
        {renderRow(index)}
      </div>,
    );
  }
  return (
    <div ref={ref} className={`virtual-list ${className ?? ''}`} role="grid" aria-label={label} aria-rowcount={count} tabIndex={0} onScroll={measure} onKeyDown={onKeyDown}>
      <div className="virtual-spacer" style={{ height: count * rowHeight }}>
        {rows}
      </div>
    </div>
  );
});
