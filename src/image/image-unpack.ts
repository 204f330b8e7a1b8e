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

export interface UnpackOptions {
  image: string;
  bundle: string;
  ref?: string;
  /** The config.json the image's settings are written into. */
  baseSpec: Spec;
  /** Called as layers are read: layer index (from 1), layer count, blob bytes read, blob size. */
  progress?: (layer: number, layers: number, bytes: number, size: number) => void;
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
  const source = await ImageSource.open(options.image);
  const staging = join(dirname(bundle), `.${basename(bundle)}.unpacking-${process.pid}`);
  try {
    const image = await selectImage(source, options.ref);
    const rootfs = join(staging, 'rootfs');
    mkdirSync(rootfs, { recursive: true, mode: 0o755 });
    const applier = new LayerApplier(rootfs);
    for (const [i, layer] of image.layers.entries()) {
      const blob = new DigestingStream((bytes) => options.progress?.(i + 1, image.layers.length, bytes, layer.size));
      const tar = new DigestingStream();
      const applying = applier.apply(tar);
      await settleStreams([pipeline(source.stream(layer.path), blob, decompressor(layer.compression), tar), applying], (error) =>
        new ImageError(`layer ${i + 1} (${layer.path}): ${error.message}`));
      if (layer.digest !== undefined && blob.digest() !== layer.digest) {
        throw new ImageError(`layer ${i + 1} (${layer.path}): digest mismatch: the blob is ${blob.digest()}, the manifest says ${layer.digest}`);
      }
      const diffId = tar.digest();
      if (diffId !== layer.diffId) throw new ImageError(`layer ${i + 1} (${layer.path}): diff_id mismatch: the tar is ${diffId}, the config says ${layer.diffId}`);
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
