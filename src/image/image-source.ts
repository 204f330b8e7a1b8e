// Where `runcc image unpack` reads an image from: an OCI layout directory, or a tar of one, or a docker-save tar
// (old layout: <id>/layer.tar and <digest>.json; new: manifest.json into blobs/sha256). A tar is first spooled to
// a private directory (streamed, regular files and directories only, names checked), then read like a directory.
import { createReadStream, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, createWriteStream, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { extract as tarExtract } from 'tar-stream';
import { entryComponents } from './entry-path';
import { ImageError, settleStreams } from './image-error';

/** Largest JSON document (index, manifest, config) read into memory. */
const MAX_JSON_BYTES = 4 * 1024 * 1024;

export class ImageSource {
  private constructor(
    /** The layout's directory. */
    readonly dir: string,
    private readonly spooled: boolean,
  ) {}

  /** Opens a layout directory, or spools a tar. */
  static async open(image: string): Promise<ImageSource> {
    let stat;
    try {
      stat = statSync(image);
    } catch {
      throw new ImageError(`${image}: no such image file or directory`);
    }
    if (stat.isDirectory()) return new ImageSource(realpathSync(image), false);
    const dir = mkdtempSync(join(tmpdir(), 'runcc-unpack-'));
    try {
      await spool(createReadStream(image), dir, image);
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

  stream(relative: string): Readable {
    if (!this.has(relative)) throw new ImageError(`image: ${relative} is missing`);
    return createReadStream(this.path(relative));
  }

  size(relative: string): number {
    return statSync(this.path(relative)).size;
  }
}

/** Writes the regular files and directories of an outer image tar under `dir`. */
async function spool(input: Readable, dir: string, image: string): Promise<void> {
  const extract = tarExtract();
  const consume = (async () => {
    try {
      for await (const entry of extract) {
        const header = entry.header;
        const parts = entryComponents(header.name, `${image}: entry`);
        const target = join(dir, ...parts);
        if (header.type === 'directory') {
          mkdirSync(target, { recursive: true });
          entry.resume();
          await new Promise<void>((resolve) => entry.on('end', () => resolve()));
        } else if (header.type === 'file' || header.type === 'contiguous-file') {
          if (parts.length === 0) throw new ImageError(`${image}: entry ${header.name}: not a file name`);
          mkdirSync(dirname(target), { recursive: true });
          await pipeline(entry as unknown as Readable, createWriteStream(target, { flags: 'wx', mode: 0o600 }));
        } else {
          throw new ImageError(`${image}: entry ${header.name}: an image archive holds only files and directories, not a ${header.type}`);
        }
      }
    } catch (error) {
      extract.destroy(error as Error);
      input.destroy();
      throw error;
    }
  })();
  await settleStreams([pipeline(input, extract as unknown as NodeJS.WritableStream), consume], (error) =>
    new ImageError(`${image}: not a readable image archive: ${error.message}`));
}
