/** Where the CLI writes text: process.stdout/stderr in production, a buffer in tests. */
export interface TextSink {
  write(text: string): void;
  readonly isTTY: boolean;
  /** Terminal width when isTTY. */
  readonly columns?: number;
}
