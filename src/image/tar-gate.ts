// A guard in front of tar-stream: it walks the tar's 512-byte blocks as they stream past and refuses, before
// tar-stream sees the offending bytes, a meta record (pax header, GNU long name or link) larger than the cap —
// tar-stream would buffer such a record whole — more entries than allowed, and more tar bytes than the unpack's
// budget. It keeps only one header block and at most one meta record in memory, and passes the bytes on unchanged.
//
// To know where each header starts it must skip entry bodies exactly as tar-stream does: the header's size field
// (octal, or base-256 when its top bit is set), replaced by a pax `size` record when one precedes the entry, no body
// for directories, bodies padded to 512 bytes. An entry whose size is no valid number, and a directory with a size,
// are refused (tar-stream would wait forever on either).
import { Transform, TransformCallback } from 'node:stream';
import { ImageError } from './image-error';

const BLOCK = 512;
/** Largest pax or GNU long-name record: names and link targets are at most 4096 bytes, pax records a few more. */
export const MAX_META_BYTES = 64 * 1024;

/** What one unpack may consume, shared by all its layers. */
export class UnpackBudget {
  entries = 0;
  bytes = 0;
  constructor(readonly maxEntries: number, readonly maxBytes: number) {}
}

export interface TarGateLimits {
  /** Largest pax or GNU long-name record, in bytes. */
  maxMetaBytes: number;
  budget: UnpackBudget;
  /** Names the tar in errors (`layer 2 (blobs/sha256/…)`). */
  what: string;
}

/** The options that raise each budget limit, named in its error. */
export const LIMIT_OPTIONS = { entries: '--max-entries', bytes: '--max-bytes' } as const;

/** A numeric header field as tar-stream reads it: base-256 when the top bit is set, else octal text. */
export function tarNumber(block: Uint8Array, offset: number, length: number): number {
  const field = block.subarray(offset, offset + length);
  if (field[0] & 0x80) {
    if (field[0] !== 0x80 && field[0] !== 0xff) return NaN;
    const negative = field[0] === 0xff;
    let value = 0;
    for (let i = 1; i < field.length; i++) value = value * 256 + (negative ? 0xff - field[i] : field[i]);
    return negative ? -value : value;
  }
  let start = 0;
  while (start < field.length && field[start] === 0x20) start++;
  let end = field.indexOf(0x20, start);
  if (end < 0) end = field.length;
  while (start < end && field[start] === 0) start++;
  if (start === end) return 0;
  return parseInt(Buffer.from(field.subarray(start, end)).toString('latin1'), 8);
}

function checksumOf(block: Uint8Array): number {
  let sum = 8 * 0x20;
  for (let i = 0; i < BLOCK; i++) if (i < 148 || i >= 156) sum += block[i];
  return sum;
}

/** The `size` key of a pax record set, parsed as tar-stream parses the records (undefined when absent). */
export function paxSize(record: Uint8Array): string | undefined {
  let rest = Buffer.from(record.buffer, record.byteOffset, record.byteLength);
  let size: string | undefined;
  while (rest.length > 0) {
    let space = 0;
    while (space < rest.length && rest[space] !== 0x20) space++;
    const length = parseInt(rest.subarray(0, space).toString(), 10);
    if (!length) break;
    const text = rest.subarray(space + 1, length - 1).toString();
    const equals = text.indexOf('=');
    if (equals === -1) break;
    if (text.slice(0, equals) === 'size') size = text.slice(equals + 1);
    rest = rest.subarray(length);
  }
  return size;
}

type MetaKind = 'pax' | 'pax-global' | 'gnu-long-name';
const META_TYPES: Record<number, MetaKind> = { 0x78: 'pax', 0x67: 'pax-global', 0x4b: 'gnu-long-name', 0x4c: 'gnu-long-name', 0x4e: 'gnu-long-name' };
const DIRECTORY = 0x35;

export class TarGate extends Transform {
  private readonly header = Buffer.alloc(BLOCK);
  private headerFill = 0;
  /** Bytes of body and padding still to pass before the next header. */
  private skip = 0;
  private meta?: { kind: MetaKind; buffer: Buffer; fill: number; padding: number };
  private paxLocalSize?: string;
  private paxGlobalSize?: string;
  /** Stream position of the first byte of the chunk being walked. */
  private position = 0;

  constructor(private readonly limits: TarGateLimits) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    const budget = this.limits.budget;
    budget.bytes += chunk.length;
    if (budget.bytes > budget.maxBytes) {
      done(new ImageError(`${this.limits.what}: the image holds more than ${budget.maxBytes} bytes of tar data (raise the limit with ${LIMIT_OPTIONS.bytes})`));
      return;
    }
    try {
      this.walk(chunk);
    } catch (error) {
      done(error as Error);
      return;
    }
    this.position += chunk.length;
    done(null, chunk);
  }

  private walk(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.length) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, chunk.length - at);
        this.skip -= n;
        at += n;
      } else if (this.meta) {
        const meta = this.meta;
        const n = Math.min(meta.buffer.length - meta.fill, chunk.length - at);
        chunk.copy(meta.buffer, meta.fill, at, at + n);
        meta.fill += n;
        at += n;
        if (meta.fill === meta.buffer.length) {
          this.meta = undefined;
          this.skip = meta.padding;
          if (meta.kind === 'pax') this.paxLocalSize = paxSize(meta.buffer) ?? this.paxGlobalSize;
          else if (meta.kind === 'pax-global') this.paxGlobalSize = paxSize(meta.buffer);
        }
      } else {
        const n = Math.min(BLOCK - this.headerFill, chunk.length - at);
        chunk.copy(this.header, this.headerFill, at, at + n);
        this.headerFill += n;
        at += n;
        if (this.headerFill === BLOCK) {
          this.headerFill = 0;
          this.onHeader(this.position + at - BLOCK);
        }
      }
    }
  }

  /** `at`: where the header block starts in the stream (for errors). */
  private onHeader(at: number): void {
    const block = this.header;
    const checksum = checksumOf(block);
    if (checksum === 8 * 0x20) return; // an all-zero block: end-of-archive padding
    if (checksum !== tarNumber(block, 148, 8)) throw new ImageError(`${this.limits.what}: not a tar: bad header checksum at byte ${at}`);
    const size = tarNumber(block, 124, 12);
    const type = block[156];
    const kind = META_TYPES[type];
    if (kind !== undefined) {
      // An empty record is refused too: tar-stream mishandles one, and no tar writer makes them.
      if (!(size > 0) || size > this.limits.maxMetaBytes) {
        throw new ImageError(`${this.limits.what}: a ${kind} record of ${size} bytes at byte ${at} (1 to ${this.limits.maxMetaBytes} allowed)`);
      }
      this.meta = { kind, buffer: Buffer.alloc(size), fill: 0, padding: padding(size) };
      return;
    }
    const budget = this.limits.budget;
    if (++budget.entries > budget.maxEntries) {
      throw new ImageError(`${this.limits.what}: the image holds more than ${budget.maxEntries} entries (raise the limit with ${LIMIT_OPTIONS.entries})`);
    }
    let bodySize = size;
    if (this.paxLocalSize) bodySize = parseInt(this.paxLocalSize, 10);
    this.paxLocalSize = undefined;
    // A size field that is no number (a base-256 field with a bad first byte reads as null in tar-stream, whose
    // entry then waits for its body forever) or a negative one is refused here, before tar-stream sees it.
    if (!Number.isSafeInteger(bodySize) || bodySize < 0) throw new ImageError(`${this.limits.what}: not a tar: the entry at byte ${at} has an invalid size`);
    // tar-stream reads no body for a directory, and the entry's stream of one with a size never ends (an unpack
    // would wait on it forever); no tar writer gives a directory a size.
    if (isDirectory(block, type) && bodySize !== 0) throw new ImageError(`${this.limits.what}: not a tar: the directory entry at byte ${at} has a size (${bodySize})`);
    this.skip = bodySize + padding(bodySize);
  }
}

function padding(size: number): number {
  const rest = size % BLOCK;
  return rest === 0 ? 0 : BLOCK - rest;
}

/** tar-stream's rule: type 5, or an old-style file entry whose name ends with `/`. */
function isDirectory(block: Buffer, type: number): boolean {
  if (type === DIRECTORY) return true;
  if (type !== 0 && type !== 0x30) return false;
  const nameEnd = block.indexOf(0, 0);
  const name = block.subarray(0, nameEnd < 0 || nameEnd > 100 ? 100 : nameEnd);
  const ustar = block.subarray(257, 263).toString('latin1') === 'ustar\0';
  if (name.length > 0) return name[name.length - 1] === 0x2f;
  return ustar && block[345] !== 0;
}
