// ttrpc framing: a 10-byte header (data length and stream id, big-endian u32; message type; flags), then the data.
// The reader is incremental and bounded: it never buffers more than one frame's data of at most MAX_DATA bytes, and
// an oversized frame's data is skipped as it arrives, so a hostile peer cannot make it allocate.

export const HEADER_BYTES = 10;
/** ttrpc's limit on a frame's data (4 MiB, as upstream's messageLengthMax). */
export const MAX_DATA = 4 << 20;

export const MessageType = { REQUEST: 1, RESPONSE: 2, DATA: 3 } as const;

export interface Frame {
  streamId: number;
  type: number;
  flags: number;
  data: Buffer;
}

export function encodeFrame(streamId: number, type: number, data: Uint8Array, flags = 0): Buffer {
  const frame = Buffer.allocUnsafe(HEADER_BYTES + data.length);
  frame.writeUInt32BE(data.length, 0);
  frame.writeUInt32BE(streamId >>> 0, 4);
  frame.writeUInt8(type, 8);
  frame.writeUInt8(flags, 9);
  frame.set(data, HEADER_BYTES);
  return frame;
}

export interface FrameSink {
  frame(frame: Frame): void;
  /** A frame whose declared length exceeds the limit: its data was discarded. */
  oversized(streamId: number, type: number, length: number): void;
}

export class FrameReader {
  private header = Buffer.alloc(HEADER_BYTES);
  private headerFill = 0;
  private data: Buffer | undefined;
  private dataFill = 0;
  private skipLeft = 0;
  private current = { streamId: 0, type: 0, flags: 0, length: 0 };

  constructor(
    private readonly sink: FrameSink,
    private readonly maxData = MAX_DATA,
  ) {}

  push(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.length) {
      if (this.skipLeft > 0) {
        const n = Math.min(this.skipLeft, chunk.length - at);
        this.skipLeft -= n;
        at += n;
        if (this.skipLeft === 0) this.sink.oversized(this.current.streamId, this.current.type, this.current.length);
        continue;
      }
      if (this.data) {
        const n = Math.min(this.data.length - this.dataFill, chunk.length - at);
        chunk.copy(this.data, this.dataFill, at, at + n);
        this.dataFill += n;
        at += n;
        if (this.dataFill === this.data.length) this.emit(this.data);
        continue;
      }
      const n = Math.min(HEADER_BYTES - this.headerFill, chunk.length - at);
      chunk.copy(this.header, this.headerFill, at, at + n);
      this.headerFill += n;
      at += n;
      if (this.headerFill < HEADER_BYTES) continue;
      this.headerFill = 0;
      const length = this.header.readUInt32BE(0);
      this.current = { length, streamId: this.header.readUInt32BE(4), type: this.header.readUInt8(8), flags: this.header.readUInt8(9) };
      if (length > this.maxData) {
        this.skipLeft = length;
      } else if (length === 0) {
        this.emit(Buffer.alloc(0));
      } else {
        this.data = Buffer.allocUnsafe(length);
        this.dataFill = 0;
      }
    }
  }

  private emit(data: Buffer): void {
    this.data = undefined;
    const { streamId, type, flags } = this.current;
    this.sink.frame({ streamId, type, flags, data });
  }
}
