// The window's own file input, for a plain browser where there is no native open dialog. The input
// registers itself here (App.tsx FilePicker); "Open file…" and Ctrl/Cmd+O call pickFile() inside
// their click or key handler, so the browser sees the user's gesture and shows its file chooser.
let input: HTMLInputElement | null = null;

export function registerFileInput(element: HTMLInputElement | null): void {
  input = element;
}

/** Opens the browser's file chooser; false when no input is registered (nothing to open). */
export function pickFile(): boolean {
  if (!input) return false;
  input.click();
  return true;
}
