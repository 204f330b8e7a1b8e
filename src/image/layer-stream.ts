// The byte path of one layer: blob file → digest of the blob → decompression (gzip, zstd or none) → digest of the
// tar (the diff_id) → the layer applier. Constant memory whatever the layer's size.
import { createHash, Hash } from 'node:crypto';
import { WriteStream, createWriteStream, openSync } from 'node:fs';
import { PassThrough, Readable, Transform } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { Decompress } from 'fzstd';
import { LayerCompression } from './image-spec';

/** `sha256:<hex>` of `bytes`: the digest form of descriptors, diff_ids and blob names. */
export function sha256Digest(bytes: Uint8Array): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/**
 * A new file (it must not exist) as a write stream. Opened synchronously: a stream that opens its file itself does
 * so later, and when the unpack fails first that file would appear after the cleanup removed the directory.
 */
export function newFileStream(path: string): WriteStream {
  return createWriteStream('', { fd: openSync(path, 'wx', 0o600) });
}

/** Reads a tar entry's body to its end without keeping it (directories, links, whiteouts). */
export function drain(body: Readable): Promise<void> {
  return new Promise((resolve, reject) => {
    body.on('end', () => resolve()).on('error', reject).resume();
  });
}

/** The most bytes a stream may carry, and the error when it carries more. */
export interface ByteLimit {
  max: number;
  error: (max: number) => Error;
}

/**
 * A pass-through stream that hashes (sha256) and counts what crosses it; with a limit, it fails the moment the count
 * passes it (before the excess goes further).
 */
export class DigestingStream extends Transform {
  private readonly hash: Hash = createHash('sha256');
  private final?: string;
  bytes = 0;

  constructor(private readonly onProgress?: (bytes: number) => void, private readonly limit?: ByteLimit) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: (error?: Error | null, data?: Buffer) => void): void {
    this.bytes += chunk.length;
    if (this.limit && this.bytes > this.limit.max) {
      done(this.limit.error(this.limit.max));
      return;
    }
    this.hash.update(chunk);
    this.onProgress?.(this.bytes);
    done(null, chunk);
  }

  /** `sha256:<hex>` of everything that passed; valid once the stream ended. */
  digest(): string {
    this.final ??= `sha256:${this.hash.digest('hex')}`;
    return this.final;
  }
}

/** zstd decompression as a stream (fzstd: pure JavaScript; Node 20's zlib has no zstd). */
class ZstdDecompressStream extends Transform {
  private readonly decoder = new Decompress((data) => {
    this.push(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
  });

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: (error?: Error | null) => void): void {
    try {
      this.decoder.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
      done();
    } catch (error) {
      done(new Error(`zstd: ${(error as Error).message}`));
    }
  }

  override _flush(done: (error?: Error | null) => void): void {
    try {
      this.decoder.push(new Uint8Array(0), true);
      done();
    } catch (error) {
      done(new Error(`zstd: ${(error as Error).message}`));
    }
  }
}

export function decompressor(compression: LayerCompression): Transform {
  if (compression === 'gzip') return createGunzip();
  if (compression === 'zstd') return new ZstdDecompressStream();
  return new PassThrough();
}

/** The compression of a blob, from its first bytes (docker-save layers carry no media type). */
export async function sniffCompression(open: () => Readable): Promise<LayerCompression> {
  const stream = open();
  const head: Buffer = await new Promise((resolve, reject) => {
    stream.once('readable', () => {
      resolve((stream.read(4) as Buffer | null) ?? (stream.read() as Buffer | null) ?? Buffer.alloc(0));
    });
    stream.once('error', reject);
  });
  stream.destroy();
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.length >= 4 && head.readUInt32LE(0) === 0xfd2fb528) return 'zstd';
  return 'none';
}
