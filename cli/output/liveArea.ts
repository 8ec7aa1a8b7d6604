// A block of status lines at the bottom of a terminal that is redrawn in place (one line per
// device), with permanent lines printed above it. Lines are cut to the terminal width because a
// wrapped line would break the cursor arithmetic.
import type { TextSink } from './textSink.js';

const CLEAR_TO_END = '\x1b[J';

export class LiveArea {
  private readonly lines = new Map<string, string>();
  private drawnLines = 0;

  constructor(private readonly sink: TextSink) {}

  get columns(): number {
    // 0 or undefined when the terminal does not say (pseudo-terminals without a size).
    return this.sink.columns || 80;
  }

  set(key: string, line: string): void {
    this.lines.set(key, line.slice(0, Math.max(1, this.columns - 1)));
    this.redraw();
  }

  remove(key: string): void {
    if (!this.lines.delete(key)) return;
    this.redraw();
  }

  /** Prints a line that stays, above the live block. */
  print(text: string): void {
    this.sink.write(`${this.erase()}${text}\n${this.draw()}`);
  }

  /** Removes the live block from the screen (before the final result). */
  clear(): void {
    if (this.drawnLines === 0) return;
    this.sink.write(this.erase());
  }

  private redraw(): void {
    this.sink.write(`${this.erase()}${this.draw()}`);
  }

  private erase(): string {
    if (this.drawnLines === 0) return '';
    const up = this.drawnLines > 1 ? `\x1b[${this.drawnLines - 1}A` : '';
    this.drawnLines = 0;
    return `\r${up}${CLEAR_TO_END}`;
  }

  private draw(): string {
    const lines = [...this.lines.values()];
    this.drawnLines = lines.length;
    return lines.join('\n');
  }
}
