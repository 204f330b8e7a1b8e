// Where `runcc image unpack` reads an image from: an OCI layout directory, or a tar of one, or a docker-save tar
// (old layout: <id>/layer.tar and <digest>.json; new: manifest.json into blobs/sha256). A tar is first spooled to
// a private directory (streamed; files, directories and links between its files only; names checked), then read
// like a directory.
import { closeSync, constants, createReadStream, existsSync, fstatSync, linkSync, lstatSync, mkdirSync, mkdtempSync, openSync, readFileSync, realpathSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { extract as tarExtract } from 'tar-stream';
import { entryComponents, symlinkTarget } from './entry-path';
import { ImageError, settleStreams } from './image-error';
import { drain, newFileStream } from './layer-stream';
import { MAX_META_BYTES, TarGate, UnpackBudget } from './tar-gate';

/** Largest JSON document (index, manifest, config) read into memory. */
const MAX_JSON_BYTES = 4 * 1024 * 1024;

export class ImageSource {
  private constructor(
    /** The layout's directory. */
    readonly dir: string,
    private readonly spooled: boolean,
  ) {}

  /** Opens a layout directory, or spools a tar (within `budget`: its entries and bytes). */
  static async open(image: string, budget: UnpackBudget): Promise<ImageSource> {
    let stat;
    try {
      stat = statSync(image);
    } catch {
      throw new ImageError(`${image}: no such image file or directory`);
    }
    if (stat.isDirectory()) return new ImageSource(realpathSync(image), false);
    const dir = mkdtempSync(join(tmpdir(), 'runcc-unpack-'));
    try {
      await spool(createReadStream(image), dir, image, budget);
    } catch (error) {
      rmSync(dir, { recursive: true, force: true });
      throw error;
    }
    return new ImageSource(dir, true);
  }

  close(): void {
    if (this.spooled) rmSync(this.dir, { recursive: true, force: true });
  }

  /** A file of the layout, by its relative path (checked like a tar entry name). */
  path(relative: string): string {
    return join(this.dir, ...entryComponents(relative, 'image file'));
  }

  has(relative: string): boolean {
    return existsSync(this.path(relative));
  }

  /** The bytes of a small file (JSON documents), bounded. */
  read(relative: string): Buffer {
    const path = this.path(relative);
    let size: number;
    try {
      const stat = statSync(path);
      if (!stat.isFile()) throw new Error('not a file');
      size = stat.size;
    } catch {
      throw new ImageError(`image: ${relative} is missing`);
    }
    if (size > MAX_JSON_BYTES) throw new ImageError(`image: ${relative} is larger than ${MAX_JSON_BYTES} bytes`);
    return readFileSync(path);
  }

  /** A blob's bytes; it must be a regular file (a FIFO or device in a layout directory would never end). */
  stream(relative: string): Readable {
    let fd: number;
    try {
      fd = openSync(this.path(relative), constants.O_RDONLY | constants.O_NONBLOCK);
    } catch {
      throw new ImageError(`image: ${relative} is missing`);
    }
    if (!fstatSync(fd).isFile()) {
      closeSync(fd);
      throw new ImageError(`image: ${relative} is not a regular file`);
    }
    return createReadStream('', { fd });
  }

  size(relative: string): number {
    return statSync(this.path(relative)).size;
  }
}

interface SpooledLink {
  name: string;
  parts: string[];
  target: string[];
}

/**
 * Makes each link of the archive a hard link to the file it names, once all files are spooled (docker save links a
 * layer shared by two images to its first copy; a link may come before its target in the tar).
 */
function resolveLinks(dir: string, links: SpooledLink[], image: string): void {
  let pending = links;
  while (pending.length > 0) {
    const next = pending.filter((link) => {
      const target = join(dir, ...link.target);
      let isFile = false;
      try {
        isFile = lstatSync(target).isFile();
      } catch {
        return true;
      }
      if (!isFile) return true;
      mkdirSync(dirname(join(dir, ...link.parts)), { recursive: true });
      linkSync(target, join(dir, ...link.parts));
      return false;
    });
    if (next.length === pending.length) {
      throw new ImageError(`${image}: entry ${next[0].name}: links to ${next[0].target.join('/')}, which is not a file in the archive`);
    }
    pending = next;
  }
}

/**
 * Writes the files and directories of an outer image tar under `dir`; links between its files (relative, inside
 * the archive) become hard links. Anything else is refused.
 */
async function spool(input: Readable, dir: string, image: string, budget: UnpackBudget): Promise<void> {
  const extract = tarExtract();
  const gate = new TarGate({ maxMetaBytes: MAX_META_BYTES, budget, what: image });
  const links: SpooledLink[] = [];
  const consume = (async () => {
    try {
      for await (const entry of extract) {
        const header = entry.header;
        const parts = entryComponents(header.name, `${image}: entry`);
        const target = join(dir, ...parts);
        if (header.type === 'directory') {
          mkdirSync(target, { recursive: true });
          await drain(entry as unknown as Readable);
        } else if (header.type === 'file' || header.type === 'contiguous-file') {
          if (parts.length === 0) throw new ImageError(`${image}: entry ${header.name}: not a file name`);
          mkdirSync(dirname(target), { recursive: true });
          await pipeline(entry as unknown as Readable, newFileStream(target));
        } else if ((header.type === 'symlink' || header.type === 'link') && parts.length > 0) {
          const linkname = header.linkname ?? '';
          const targetParts = header.type === 'link'
            ? entryComponents(linkname, `${image}: hard link ${header.name} →`)
            : linkname.startsWith('/') ? undefined : symlinkTarget(parts.slice(0, -1), linkname);
          if (!targetParts || targetParts.length === 0) throw new ImageError(`${image}: entry ${header.name}: link to ${linkname} leads outside the archive`);
          links.push({ name: header.name, parts, target: targetParts });
          await drain(entry as unknown as Readable);
        } else {
          throw new ImageError(`${image}: entry ${header.name}: an image archive holds only files, directories and links between them, not a ${header.type}`);
        }
      }
      resolveLinks(dir, links, image);
    } catch (error) {
      extract.destroy(error as Error);
      input.destroy();
      throw error;
    }
  })();
  await settleStreams([pipeline(input, gate, extract as unknown as NodeJS.WritableStream), consume], (error) =>
    new ImageError(`${image}: not a readable image archive: ${error.message}`));
}
