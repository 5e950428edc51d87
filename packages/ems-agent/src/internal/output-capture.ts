/**
 * Collects one output stream of a script up to a byte cap. Everything past the cap is counted
 * and dropped, so the pipe keeps being drained and a flooding script never blocks on a full pipe.
 */
export class OutputCapture {
  private readonly chunks: Buffer[] = [];
  private kept = 0;
  private total = 0;
  private closed = false;

  constructor(private readonly maxBytes: number) {}

  /** Adds a chunk read from the pipe (ignored once {@link close}d). */
  push(chunk: Buffer): void {
    if (this.closed) return;
    this.total += chunk.length;
    const room = this.maxBytes - this.kept;
    if (room <= 0) return;
    const slice = chunk.length <= room ? chunk : chunk.subarray(0, room);
    this.chunks.push(slice);
    this.kept += slice.length;
  }

  /** Stops capturing (the run was answered) and releases the kept bytes; `text()` is empty afterwards. */
  close(): void {
    this.closed = true;
    this.chunks.length = 0;
    this.kept = 0;
    this.total = 0;
  }

  /** True when bytes were dropped. */
  get truncated(): boolean {
    return this.total > this.kept;
  }

  /** Bytes seen in total (kept + dropped). */
  get totalBytes(): number {
    return this.total;
  }

  /**
   * The kept bytes as text: invalid UTF-8 becomes U+FFFD, a cut multi-byte character at the cap
   * is dropped, and a truncated stream ends with the line `[vnfkit-ems: output truncated after N bytes]`.
   */
  text(): string {
    let bytes = Buffer.concat(this.chunks, this.kept);
    if (!this.truncated) return new TextDecoder('utf-8', { fatal: false }).decode(bytes);
    bytes = bytes.subarray(0, utf8Boundary(bytes));
    let text = new TextDecoder('utf-8', { fatal: false }).decode(bytes);
    if (text.length > 0 && !text.endsWith('\n')) text += '\n';
    return `${text}[vnfkit-ems: output truncated after ${this.maxBytes} bytes]\n`;
  }
}

/** Length of `bytes` without a trailing incomplete UTF-8 sequence. */
export function utf8Boundary(bytes: Uint8Array): number {
  const end = bytes.length;
  let start = end - 1;
  // Walk back over at most three continuation bytes to the lead byte of the last character.
  while (start >= 0 && end - start <= 4 && ((bytes[start] ?? 0) & 0xc0) === 0x80) start -= 1;
  if (start < 0) return end;
  const lead = bytes[start] ?? 0;
  const needed = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
  return start + needed > end ? start : end;
}
