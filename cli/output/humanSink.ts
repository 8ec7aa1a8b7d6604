// Human output. On a terminal: a live progress bar per device that is redrawn in place, and a
// permanent line when each phase finishes. Elsewhere (CI logs, pipes): plain lines at the start, at
// every quarter and at the end of each phase, so logs stay short and greppable.
import type { CliEvent, Phase } from './events.js';
import { LiveArea } from './liveArea.js';
import { renderProgressBar } from './progressBar.js';
import type { OutputSink } from './reporter.js';
import type { TextSink } from './textSink.js';
import { formatSize, formatDuration, formatEta, formatRate } from '../../core/format.js';
import { printable, printableLines as printableLinesOf } from '../../core/printable.js';

const REDRAW_INTERVAL_MS = 80;

// Phases that finish too quickly for a start line to help.
const QUIET_START: ReadonlySet<Phase> = new Set(['connect', 'leave', 'option-bytes']);

export class HumanSink implements OutputSink {
  private readonly area: LiveArea | undefined;
  private readonly lastDraw = new Map<string, number>();
  private readonly lastQuarter = new Map<string, number>();

  constructor(
    private readonly options: {
      readonly stdout: TextSink;
      readonly stderr: TextSink;
      readonly verbose: boolean;
      /** Prefix lines with the device (several devices at once). */
      readonly labelDevices: boolean;
    },
  ) {
    this.area = options.stdout.isTTY ? new LiveArea(options.stdout) : undefined;
  }

  event(event: CliEvent, time: number): void {
    switch (event.type) {
      case 'phase':
        return this.phase(event);
      case 'progress':
        return this.progress(event, time);
      case 'log':
        // Errors end the command and are printed once, with a hint, by whoever ends it; the
        // engine's own error log line would only repeat them.
        if (event.level === 'warn') this.warning(event.message, event.device);
        else if (this.options.verbose) this.toStderr(`${this.prefix(event.device)}${event.level}: ${event.message}`);
        return;
      case 'device':
        return this.text(`${this.prefix(event.device)}${event.event === 'attach' ? 'attached' : 'detached'}`);
    }
  }

  text(text: string): void {
    // Every printed line is escaped: text from a device or a file cannot drive the terminal.
    for (const raw of text.replace(/\n$/, '').split('\n')) {
      const line = printable(raw);
      if (this.area) this.area.print(line);
      else this.options.stdout.write(`${line}\n`);
    }
  }

  warning(message: string, device?: string): void {
    this.toStderr(`${this.prefix(device)}warning: ${message}`);
  }

  record(_record: Readonly<Record<string, unknown>>, humanLine?: string): void {
    if (humanLine !== undefined) this.text(humanLine);
  }

  close(): Promise<void> {
    this.area?.clear();
    return Promise.resolve();
  }

  private phase(event: Extract<CliEvent, { type: 'phase' }>): void {
    const key = this.key(event.device, event.phase);
    const label = `${this.prefix(event.device)}${event.phase}`;
    // Connecting takes milliseconds and always happens; its lines only help when debugging.
    if (event.phase === 'connect' && event.status !== 'failed' && !this.options.verbose) return;
    if (event.status === 'start') {
      this.lastQuarter.set(key, 0);
      if (this.area) this.area.set(key, `${label.padEnd(8)} ...`);
      else if (!QUIET_START.has(event.phase)) this.text(`${label.padEnd(8)} started`);
      return;
    }
    this.area?.remove(key);
    const elapsed = event.elapsedMs ?? 0;
    if (event.status === 'failed') {
      this.text(`${label.padEnd(8)} failed after ${formatDuration(elapsed)}`);
      return;
    }
    const bytes = event.bytes ?? 0;
    const amount = bytes > 0 ? `${formatSize(bytes)} in ` : '';
    const rate = bytes > 0 && elapsed > 0 ? ` (${formatRate((bytes * 1000) / elapsed)})` : '';
    this.text(`${label.padEnd(8)} done: ${amount}${formatDuration(elapsed)}${rate}`);
  }

  private progress(event: Extract<CliEvent, { type: 'progress' }>, time: number): void {
    const key = this.key(event.device, event.phase);
    const label = `${this.prefix(event.device)}${event.phase}`;
    const sample = { ...event, elapsedMs: 0 };
    if (this.area) {
      const last = this.lastDraw.get(key);
      if (event.done < event.total && last !== undefined && time - last < REDRAW_INTERVAL_MS) return;
      this.lastDraw.set(key, time);
      this.area.set(key, renderProgressBar({ label, sample, columns: this.area.columns }));
      return;
    }
    if (event.total <= 0) return;
    const quarter = Math.floor((event.done / event.total) * 4);
    if (quarter <= (this.lastQuarter.get(key) ?? 0) || quarter >= 4) return;
    this.lastQuarter.set(key, quarter);
    const details = [`${quarter * 25}%`, `${formatSize(event.done)}/${formatSize(event.total)}`, formatRate(event.bytesPerSecond), formatEta(event.etaMs)];
    this.text(`${label.padEnd(8)} ${details.filter((part) => part !== '').join('  ')}`);
  }

  private toStderr(raw: string): void {
    const line = printableLinesOf(raw);
    if (this.area && this.options.stderr.isTTY) this.area.print(line);
    else this.options.stderr.write(`${line}\n`);
  }

  private prefix(device: string | undefined): string {
    return this.options.labelDevices && device ? `[${device}] ` : '';
  }

  private key(device: string | undefined, phase: Phase): string {
    return `${device ?? ''}\u0000${phase}`;
  }
}
