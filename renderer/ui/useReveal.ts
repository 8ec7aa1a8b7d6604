import { useEffect, useRef } from 'react';

/** Scrolls the element into view when it appears (progress, result, diff): the user's eyes follow the job. */
export function useReveal<T extends HTMLElement>(block: ScrollLogicalPosition = 'nearest') {
  const ref = useRef<T>(null);
  useEffect(() => {
    ref.current?.scrollIntoView?.({ block, behavior: 'instant' });
  }, [block]);
  return ref;
}
