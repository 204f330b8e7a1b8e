// Applies one uncompressed layer tar onto a root filesystem (image-spec layer.md): entries in order, whiteouts
// (`.wh.NAME` removes NAME from lower layers; `.wh..wh..opq` empties a directory of its lower contents), existing
// paths replaced. Hostile entries are refused with an error naming them: escapes by `..` or absolute names, writes
// through symbolic links, links leading outside, device nodes, oversized names. (Oversized meta records, too many
// entries and too many bytes are stopped before this, by the TarGate in front of it.)
import { chmodSync, linkSync, lstatSync, lutimesSync, lchownSync, mkdirSync, readdirSync, rmSync, symlinkSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { extract as tarExtract, Header } from 'tar-stream';
import { makeFifo } from '../ffi/fifo';
import { entryComponents, MAX_NAME_BYTES, symlinkStaysInside } from './entry-path';
import { ImageError, settleStreams } from './image-error';
import { drain, newFileStream } from './layer-stream';

const WHITEOUT_PREFIX = '.wh.';
const OPAQUE_WHITEOUT = '.wh..wh..opq';

function lstatOrUndefined(path: string): ReturnType<typeof lstatSync> | undefined {
  try {
    return lstatSync(path);
  } catch {
    return undefined;
  }
}

export class LayerApplier {
  /** Paths (relative, '/'-joined) this layer created: whiteouts in the same layer do not hide them. */
  private written = new Set<string>();
  private readonly asRoot = process.getuid?.() === 0;

  constructor(private readonly root: string) {}

  /** Applies the layer read from `tar`; rejects on the first refused entry. */
  async apply(tar: Readable): Promise<void> {
    this.written = new Set();
    const extract = tarExtract();
    const consume = (async () => {
      try {
        for await (const entry of extract) await this.entry(entry.header, entry as unknown as Readable);
      } catch (error) {
        // Stop reading the layer: the pipeline then settles too, and no file stays open.
        extract.destroy(error as Error);
        tar.destroy();
        throw error;
      }
    })();
    await settleStreams([pipeline(tar, extract as unknown as NodeJS.WritableStream), consume]);
  }

  /** Makes sure every parent of `parts` is a real directory inside the root (never a symlink). */
  private parentDir(parts: readonly string[], name: string): string {
    let dir = this.root;
    for (const part of parts.slice(0, -1)) {
      dir = join(dir, part);
      const stat = lstatOrUndefined(dir);
      if (!stat) mkdirSync(dir, { mode: 0o755 });
      else if (stat.isSymbolicLink()) throw new ImageError(`entry ${name}: ${part} is a symbolic link; a layer may not write through links`);
      else if (!stat.isDirectory()) throw new ImageError(`entry ${name}: ${part} is not a directory`);
    }
    return dir;
  }

  private removeLower(relative: string, path: string): void {
    if (!this.written.has(relative)) rmSync(path, { recursive: true, force: true });
  }

  private async entry(header: Header, body: Readable): Promise<void> {
    const name = header.name;
    const parts = entryComponents(name);
    if (parts.length === 0) return drain(body);
    const base = parts[parts.length - 1];
    const dir = this.parentDir(parts, name);
    const relative = parts.join('/');

    if (base === OPAQUE_WHITEOUT) {
      const parentRel = parts.slice(0, -1).join('/');
      for (const child of readdirSync(dir)) this.removeLower(parentRel ? `${parentRel}/${child}` : child, join(dir, child));
      return drain(body);
    }
    if (base.startsWith(WHITEOUT_PREFIX)) {
      const hidden = base.slice(WHITEOUT_PREFIX.length);
      entryComponents(hidden);
      if (hidden === '' || hidden === '.' || hidden === '..') throw new ImageError(`entry ${name}: malformed whiteout`);
      this.removeLower([...parts.slice(0, -1), hidden].join('/'), join(dir, hidden));
      return drain(body);
    }

    const path = join(dir, base);
    const existing = lstatOrUndefined(path);
    if (existing && !(existing.isDirectory() && header.type === 'directory')) rmSync(path, { recursive: true, force: true });

    switch (header.type) {
      case 'file':
      case 'contiguous-file':
        await pipeline(body, newFileStream(path));
        break;
      case 'directory':
        if (!existing?.isDirectory()) mkdirSync(path, { mode: 0o700 });
        await drain(body);
        break;
      case 'symlink':
        if (Buffer.byteLength(header.linkname ?? '') > MAX_NAME_BYTES) throw new ImageError(`entry ${name}: link target longer than ${MAX_NAME_BYTES} bytes`);
        if (!header.linkname || !symlinkStaysInside(parts.slice(0, -1), header.linkname)) {
          throw new ImageError(`entry ${name}: symbolic link to ${header.linkname} leads outside the root filesystem`);
        }
        symlinkSync(header.linkname, path);
        await drain(body);
        break;
      case 'link': {
        const targetParts = entryComponents(header.linkname ?? '', `hard link ${name} →`);
        const target = join(this.parentDir(targetParts, name), targetParts[targetParts.length - 1] ?? '');
        const stat = targetParts.length > 0 ? lstatOrUndefined(target) : undefined;
        if (!stat || stat.isDirectory()) throw new ImageError(`entry ${name}: hard link to ${header.linkname}, which is not a file in the root filesystem`);
        linkSync(target, path);
        await drain(body);
        break;
      }
      case 'fifo':
        makeFifo(path, 0o600);
        await drain(body);
        break;
      case 'character-device':
      case 'block-device':
        throw new ImageError(`entry ${name}: device nodes are not allowed in a unikernel image`);
      default:
        throw new ImageError(`entry ${name}: unsupported entry type ${String(header.type)}`);
    }
    if (header.type !== 'link') this.setAttributes(path, header);
    this.written.add(relative);
  }

  /** Owner (when running as root), permissions (without set-id bits) and modification time from the header. */
  private setAttributes(path: string, header: Header): void {
    const mtime = header.mtime ?? new Date(0);
    if (header.type === 'symlink') {
      if (this.asRoot) lchownSync(path, header.uid ?? 0, header.gid ?? 0);
      lutimesSync(path, mtime, mtime);
      return;
    }
    if (this.asRoot) lchownSync(path, header.uid ?? 0, header.gid ?? 0);
    chmodSync(path, (header.mode ?? 0o644) & 0o1777);
    utimesSync(path, mtime, mtime);
  }
}
