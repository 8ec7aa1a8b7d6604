// Mounts a component with a store in happy-dom for the few behavioural component tests.
import { act, type ReactNode } from 'react';
import { createRoot } from 'react-dom/client';
import { StoreProvider } from '../storeContext.js';
import type { AppStore } from '../store.js';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

export interface Mounted {
  readonly container: HTMLElement;
  unmount(): void;
}

export async function render(ui: ReactNode, store: AppStore): Promise<Mounted> {
  const container = document.createElement('div');
  document.body.append(container);
  const root = createRoot(container);
  await act(() => Promise.resolve(root.render(<StoreProvider store={store}>{ui}</StoreProvider>)));
  return {
    container,
    unmount() {
      act(() => root.unmount());
      container.remove();
    },
  };
}

export async function click(element: Element | null | undefined): Promise<void> {
  if (!element) throw new Error('nothing to click');
  await act(() => Promise.resolve((element as HTMLElement).click()));
}

/** Types into a controlled input the way React listens for it. */
export async function type(input: Element | null | undefined, text: string): Promise<void> {
  if (!(input instanceof HTMLInputElement)) throw new Error('not an input');
  // React tracks the value through the prototype's setter; assigning input.value would be ignored.
  const setValue = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value')?.set?.bind(input);
  if (!setValue) throw new Error('no value setter');
  await act(() => {
    setValue(text);
    input.dispatchEvent(new Event('input', { bubbles: true }));
    return Promise.resolve();
  });
}

export function button(container: HTMLElement, label: string | RegExp): HTMLButtonElement | undefined {
  return [...container.querySelectorAll('button')].find((candidate) =>
    typeof label === 'string' ? candidate.textContent?.trim() === label : label.test(candidate.textContent ?? ''),
  );
}
