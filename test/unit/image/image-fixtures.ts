// Hand-made images for the unpack tests: layer tars built entry by entry (hostile ones included), written as an OCI
// layout directory, a tar of one, or a docker-save archive.
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { pack as tarPack } from 'tar-stream';

export interface Entry {
  name: string;
  type?: 'file' | 'directory' | 'symlink' | 'link' | 'character-device' | 'fifo';
  content?: string;
  linkname?: string;
  mode?: number;
}

export function tarOf(entries: Entry[]): Promise<Buffer> {
  const pack = tarPack();
  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolve, reject) => {
    pack.on('data', (c: unknown) => chunks.push(c as Buffer));
    pack.on('end', () => resolve(Buffer.concat(chunks)));
    pack.on('error', reject);
  });
  for (const e of entries) {
    const type = e.type ?? 'file';
    const header = { name: e.name, type, mode: e.mode ?? (type === 'directory' ? 0o755 : 0o644), linkname: e.linkname, mtime: new Date(0), devmajor: 1, devminor: 3 };
    if (type === 'file') pack.entry(header, e.content ?? '');
    else pack.entry(header);
  }
  pack.finalize();
  return done;
}

export const sha256 = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const hex = (d: string): string => d.slice(7);

export type Compression = 'none' | 'gzip' | 'zstd';

function compress(tar: Buffer, compression: Compression): Buffer {
  if (compression === 'gzip') return gzipSync(tar);
  if (compression === 'zstd') return execFileSync('zstd', ['-q', '-c'], { input: tar });
  return tar;
}

const MEDIA: Record<Compression, string> = {
  none: 'application/vnd.oci.image.layer.v1.tar',
  gzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  zstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
};

export interface LayoutOptions {
  compression?: Compression;
  config?: Record<string, unknown>;
  /** Breaks the diff_id of the first layer. */
  wrongDiffId?: boolean;
  ref?: string;
}

/** Writes an OCI layout with one image of `layers` into `dir`; returns the layer blob paths. */
export async function writeLayout(dir: string, layers: Entry[][], options: LayoutOptions = {}): Promise<string[]> {
  mkdirSync(join(dir, 'blobs/sha256'), { recursive: true });
  const put = (bytes: Buffer): string => {
    const digest = sha256(bytes);
    writeFileSync(join(dir, 'blobs/sha256', hex(digest)), bytes);
    return digest;
  };
  const compression = options.compression ?? 'none';
  const tars = await Promise.all(layers.map(tarOf));
  const blobs = tars.map((t) => compress(t, compression));
  const layerDescriptors = blobs.map((b) => ({ mediaType: MEDIA[compression], digest: put(b), size: b.length }));
  const diffIds = tars.map(sha256);
  if (options.wrongDiffId) diffIds[0] = sha256(Buffer.from('something else'));
  const config = Buffer.from(JSON.stringify({
    architecture: 'amd64',
    os: 'linux',
    config: { Entrypoint: ['/unikernel.hvt'], Cmd: ['x'] },
    rootfs: { type: 'layers', diff_ids: diffIds },
    ...options.config,
  }));
  const manifest = Buffer.from(JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: put(config), size: config.length },
    layers: layerDescriptors,
  }));
  const manifestDigest = put(manifest);
  writeFileSync(join(dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  writeFileSync(join(dir, 'index.json'), JSON.stringify({
    schemaVersion: 2,
    manifests: [{
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      digest: manifestDigest,
      size: manifest.length,
      annotations: { 'org.opencontainers.image.ref.name': options.ref ?? 'latest' },
    }],
  }));
  return layerDescriptors.map((d) => join(dir, 'blobs/sha256', hex(d.digest)));
}

/** Writes a docker-save archive in the old layout (<id>/layer.tar, <config hex>.json) into `dir`. */
export async function writeDockerSave(dir: string, layers: Entry[][], repoTag: string): Promise<void> {
  const tars = await Promise.all(layers.map(tarOf));
  const config = Buffer.from(JSON.stringify({
    architecture: 'amd64',
    os: 'linux',
    config: { Entrypoint: ['/unikernel.hvt'], Env: ['A=1'] },
    rootfs: { type: 'layers', diff_ids: tars.map(sha256) },
  }));
  mkdirSync(dir, { recursive: true });
  const configName = `${hex(sha256(config))}.json`;
  writeFileSync(join(dir, configName), config);
  const layerPaths = tars.map((tar, i) => {
    const id = hex(sha256(Buffer.from(`layer ${i}`)));
    mkdirSync(join(dir, id));
    writeFileSync(join(dir, id, 'layer.tar'), tar);
    writeFileSync(join(dir, id, 'VERSION'), '1.0');
    return `${id}/layer.tar`;
  });
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify([{ Config: configName, RepoTags: [repoTag], Layers: layerPaths }]));
}

/** Tars a directory (as `docker save` would hand it over). */
export function tarDirectory(dir: string, output: string): void {
  execFileSync('tar', ['-C', dir, '-cf', output, '.']);
}

/**
 * A raw ustar header block, checksummed: `typeflag` ('x', 'L', '0', …) and a size that may lie about what follows —
 * a number, or the 12 bytes of the size field as they are to be written (to write malformed ones).
 */
export function tarHeader(name: string, typeflag: string, size: number | Buffer): Buffer {
  const block = Buffer.alloc(512);
  block.write(name, 0, 100, 'utf8');
  block.write('0000644\0', 100);
  block.write('0000000\0', 108);
  block.write('0000000\0', 116);
  if (typeof size === 'number') block.write(`${size.toString(8).padStart(11, '0')}\0`, 124);
  else size.copy(block, 124);
  block.write('00000000000\0', 136);
  block.write(typeflag, 156);
  block.write('ustar\0', 257);
  block.write('00', 263);
  block.fill(0x20, 148, 156);
  let sum = 0;
  for (const b of block) sum += b;
  block.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  return block;
}
