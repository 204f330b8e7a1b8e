// `runcc image unpack`: an image into a runtime bundle (rootfs/ and config.json). Every layer is streamed from its
// blob through digest checks and decompression into the rootfs; the bundle is built beside its final place and
// renamed into it only when complete, so a refused or corrupt image leaves nothing behind.
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, rmdirSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Spec } from '../oci/runtime-spec';
import { ImageError, settleStreams } from './image-error';
import { selectImage } from './image-selection';
import { ImageSource } from './image-source';
import { imageToSpec } from './image-to-spec';
import { LayerApplier } from './layer-apply';
import { DigestingStream, decompressor } from './layer-stream';
import { MAX_META_BYTES, TarGate, UnpackBudget } from './tar-gate';

/** What one unpack may consume; each is a `runcc image unpack` option. */
export interface UnpackLimits {
  /** Entries of all layers together (and, separately, of an image archive's own tar). */
  maxEntries: number;
  /** Uncompressed tar bytes of all layers together (and, separately, of an image archive). */
  maxBytes: number;
}

/** Generous for unikernel images (a kernel, a few disk images); raise them for larger ones. */
export const DEFAULT_LIMITS: UnpackLimits = { maxEntries: 100_000, maxBytes: 4 * 1024 ** 3 };

export interface UnpackOptions {
  image: string;
  bundle: string;
  ref?: string;
  /** The config.json the image's settings are written into. */
  baseSpec: Spec;
  /** Called as layers are read: layer index (from 1), layer count, blob bytes read, blob size. */
  progress?: (layer: number, layers: number, bytes: number, size: number) => void;
  limits?: Partial<UnpackLimits>;
}

export interface UnpackedImage {
  bundle: string;
  configDigest: string;
  layers: number;
}

function checkTarget(bundle: string): void {
  if (!existsSync(bundle)) return;
  if (!statSync(bundle).isDirectory() || readdirSync(bundle).length > 0) {
    throw new ImageError(`bundle ${bundle} already exists and is not an empty directory`);
  }
}

export async function unpackImage(options: UnpackOptions): Promise<UnpackedImage> {
  const bundle = resolve(options.bundle);
  checkTarget(bundle);
  const limits = { ...DEFAULT_LIMITS, ...options.limits };
  const source = await ImageSource.open(options.image, new UnpackBudget(limits.maxEntries, limits.maxBytes));
  const staging = join(dirname(bundle), `.${basename(bundle)}.unpacking-${process.pid}`);
  try {
    const image = await selectImage(source, options.ref);
    const rootfs = join(staging, 'rootfs');
    mkdirSync(rootfs, { recursive: true, mode: 0o755 });
    const applier = new LayerApplier(rootfs);
    const budget = new UnpackBudget(limits.maxEntries, limits.maxBytes);
    for (const [i, layer] of image.layers.entries()) {
      const what = `layer ${i + 1} (${layer.path})`;
      // Counted as it streams: a blob longer than its descriptor is refused before the excess is decompressed.
      const blob = new DigestingStream((bytes) => options.progress?.(i + 1, image.layers.length, bytes, layer.size), {
        max: layer.size,
        error: (max) => new ImageError(`${what}: the blob is larger than the ${max} bytes its descriptor says`),
      });
      const tar = new DigestingStream();
      const gate = new TarGate({ maxMetaBytes: MAX_META_BYTES, budget, what });
      const applying = applier.apply(gate);
      await settleStreams([pipeline(source.stream(layer.path), blob, decompressor(layer.compression), tar, gate), applying], (error) =>
        new ImageError(`${what}: ${error.message}`));
      if (blob.bytes !== layer.size) throw new ImageError(`${what}: the blob has ${blob.bytes} bytes, its descriptor says ${layer.size}`);
      if (layer.digest !== undefined && blob.digest() !== layer.digest) {
        throw new ImageError(`${what}: digest mismatch: the blob is ${blob.digest()}, the manifest says ${layer.digest}`);
      }
      const diffId = tar.digest();
      if (diffId !== layer.diffId) throw new ImageError(`${what}: diff_id mismatch: the tar is ${diffId}, the config says ${layer.diffId}`);
    }
    const spec = imageToSpec(options.baseSpec, image.config, rootfs);
    writeFileSync(join(staging, 'config.json'), `${JSON.stringify(spec, null, 2)}\n`);
    if (existsSync(bundle)) rmdirSync(bundle);
    renameSync(staging, bundle);
    return { bundle, configDigest: image.configDigest, layers: image.layers.length };
  } finally {
    rmSync(staging, { recursive: true, force: true });
    source.close();
  }
}
