import { useEffect, type RefObject } from 'react';

/**
 * When this element appears and the keyboard focus has fallen to <body> (the control that had it
 * was disabled or removed: the drop target after a file loads, the Flash button while a job runs),
 * focus moves here, so a keyboard user goes on from where things happen. Focus the user put
 * somewhere else is left alone.
 */
export function useKeepFocus<T extends HTMLElement>(ref: RefObject<T | null>): void {
  useEffect(() => {
    const element = ref.current;
    const active = document.activeElement;
    if (element && (active === null || active === document.body)) element.focus({ preventScroll: true });
  }, [ref]);
}
