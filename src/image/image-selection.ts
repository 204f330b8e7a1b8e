// Finds the image to unpack inside a source: through index.json (OCI layout; nested indexes pick linux/amd64) or
// docker's manifest.json, by reference when several are present. Every JSON blob read is checked against its digest.
import { ImageError } from './image-error';
import { ImageSource } from './image-source';
import {
  CONTAINERD_NAME_ANNOTATION,
  Descriptor,
  DockerSaveEntry,
  ImageConfig,
  ImageIndex,
  ImageManifest,
  LayerCompression,
  MEDIA,
  REF_NAME_ANNOTATION,
  containerdName,
  layerCompression,
  parseReference,
} from './image-spec';
import { sha256Digest, sniffCompression } from './layer-stream';

export interface SelectedLayer {
  /** Relative path of the blob in the source. */
  path: string;
  /** The blob's digest when the manifest states it (OCI), else undefined (docker-save: the diff_id covers it). */
  digest?: string;
  diffId: string;
  compression: LayerCompression;
  size: number;
}

export interface SelectedImage {
  config: ImageConfig;
  configDigest: string;
  layers: SelectedLayer[];
}

const DIGEST = /^sha256:[0-9a-f]{64}$/;

function blobPath(descriptor: Descriptor, what: string): string {
  if (typeof descriptor?.digest !== 'string' || !DIGEST.test(descriptor.digest)) {
    throw new ImageError(`${what}: digest ${String(descriptor?.digest)} is not a sha256 digest`);
  }
  return `blobs/sha256/${descriptor.digest.slice('sha256:'.length)}`;
}

function parseJson<T>(bytes: Buffer, what: string): T {
  try {
    return JSON.parse(bytes.toString('utf8')) as T;
  } catch (error) {
    throw new ImageError(`${what}: ${(error as Error).message}`);
  }
}

/** Reads a blob named by a descriptor and checks its size and digest. */
function readVerified<T>(source: ImageSource, descriptor: Descriptor, what: string): T {
  const bytes = source.read(blobPath(descriptor, what));
  const digest = sha256Digest(bytes);
  if (digest !== descriptor.digest) throw new ImageError(`${what}: digest mismatch: the blob is ${digest}, the descriptor says ${descriptor.digest}`);
  if (typeof descriptor.size === 'number' && descriptor.size !== bytes.length) {
    throw new ImageError(`${what}: size mismatch: the blob has ${bytes.length} bytes, the descriptor says ${descriptor.size}`);
  }
  return parseJson<T>(bytes, what);
}

function matchesRef(descriptor: Descriptor, ref: string): boolean {
  const annotations = descriptor.annotations ?? {};
  const name = annotations[CONTAINERD_NAME_ANNOTATION];
  if (name !== undefined) return name === ref || name === containerdName(ref);
  const refName = annotations[REF_NAME_ANNOTATION];
  return refName === ref || refName === parseReference(ref).tag;
}

function describe(descriptor: Descriptor): string {
  const annotations = descriptor.annotations ?? {};
  return annotations[CONTAINERD_NAME_ANNOTATION] ?? annotations[REF_NAME_ANNOTATION] ?? descriptor.digest;
}

function checkConfig(config: ImageConfig, what: string): void {
  if (typeof config !== 'object' || config === null || !config.rootfs || !Array.isArray(config.rootfs.diff_ids)) {
    throw new ImageError(`${what}: not an image config (rootfs.diff_ids missing)`);
  }
  if (config.os !== 'linux') throw new ImageError(`${what}: os is ${String(config.os)}; runcc runs linux images`);
}

async function fromManifest(source: ImageSource, manifestDescriptor: Descriptor): Promise<SelectedImage> {
  const manifest = readVerified<ImageManifest>(source, manifestDescriptor, `manifest ${manifestDescriptor.digest}`);
  if (!manifest.config || !Array.isArray(manifest.layers)) throw new ImageError(`manifest ${manifestDescriptor.digest}: config or layers missing`);
  const config = readVerified<ImageConfig>(source, manifest.config, `config ${manifest.config.digest}`);
  checkConfig(config, `config ${manifest.config.digest}`);
  if (config.rootfs.diff_ids.length !== manifest.layers.length) {
    throw new ImageError(`manifest ${manifestDescriptor.digest}: ${manifest.layers.length} layers but ${config.rootfs.diff_ids.length} diff_ids in the config`);
  }
  const layers = manifest.layers.map((layer, i) => {
    const compression = layerCompression(layer.mediaType);
    if (!compression) throw new ImageError(`layer ${layer.digest}: media type ${layer.mediaType} is not supported`);
    return { path: blobPath(layer, `layer ${i}`), digest: layer.digest, diffId: config.rootfs.diff_ids[i], compression, size: layer.size };
  });
  return { config, configDigest: manifest.config.digest, layers };
}

async function fromIndex(source: ImageSource, ref: string | undefined): Promise<SelectedImage> {
  const index = parseJson<ImageIndex>(source.read('index.json'), 'index.json');
  if (!Array.isArray(index.manifests) || index.manifests.length === 0) throw new ImageError('index.json: no manifests');
  let candidates = index.manifests;
  if (ref !== undefined) {
    candidates = candidates.filter((d) => matchesRef(d, ref));
    if (candidates.length === 0) throw new ImageError(`no image ${ref} in the layout; it holds ${index.manifests.map(describe).join(', ')}`);
  } else if (candidates.length > 1) {
    throw new ImageError(`the layout holds several images (${candidates.map(describe).join(', ')}); choose one with --ref`);
  }
  let chosen = candidates[0];
  if (chosen.mediaType === MEDIA.index || chosen.mediaType === MEDIA.dockerManifestList) {
    const nested = readVerified<ImageIndex>(source, chosen, `index ${chosen.digest}`);
    const platform = nested.manifests?.find((d) => d.platform?.os === 'linux' && d.platform?.architecture === 'amd64');
    if (!platform) throw new ImageError(`index ${chosen.digest}: no linux/amd64 image`);
    chosen = platform;
  }
  return fromManifest(source, chosen);
}

async function fromDockerSave(source: ImageSource, ref: string | undefined): Promise<SelectedImage> {
  const entries = parseJson<DockerSaveEntry[]>(source.read('manifest.json'), 'manifest.json');
  if (!Array.isArray(entries) || entries.length === 0) throw new ImageError('manifest.json: no images');
  let entry = entries[0];
  if (ref !== undefined) {
    const wanted = ref.includes(':') ? ref : `${ref}:latest`;
    const found = entries.find((e) => (e.RepoTags ?? []).includes(wanted));
    if (!found) throw new ImageError(`no image ${ref} in the archive; it holds ${entries.flatMap((e) => e.RepoTags ?? []).join(', ') || 'untagged images'}`);
    entry = found;
  } else if (entries.length > 1) {
    throw new ImageError(`the archive holds several images (${entries.flatMap((e) => e.RepoTags ?? []).join(', ')}); choose one with --ref`);
  }
  const configBytes = source.read(entry.Config);
  const configDigest = sha256Digest(configBytes);
  // The config's name is its digest, in either docker layout (<hex>.json, or blobs/sha256/<hex>).
  const named = /([0-9a-f]{64})(\.json)?$/.exec(entry.Config)?.[1];
  if (named && `sha256:${named}` !== configDigest) throw new ImageError(`${entry.Config}: digest mismatch: the file is ${configDigest}`);
  const config = parseJson<ImageConfig>(configBytes, entry.Config);
  checkConfig(config, entry.Config);
  if (!Array.isArray(entry.Layers) || entry.Layers.length !== config.rootfs.diff_ids.length) {
    throw new ImageError(`manifest.json: ${entry.Layers?.length ?? 0} layers but ${config.rootfs.diff_ids.length} diff_ids in the config`);
  }
  const layers: SelectedLayer[] = [];
  for (const [i, path] of entry.Layers.entries()) {
    const blobName = /^blobs\/sha256\/([0-9a-f]{64})$/.exec(path)?.[1];
    layers.push({
      path,
      digest: blobName ? `sha256:${blobName}` : undefined,
      diffId: config.rootfs.diff_ids[i],
      compression: await sniffCompression(() => source.stream(path)),
      size: source.size(path),
    });
  }
  return { config, configDigest, layers };
}

/** The image to unpack: index.json first (OCI layout, docker ≥ 25 archives), else manifest.json (docker save). */
export function selectImage(source: ImageSource, ref: string | undefined): Promise<SelectedImage> {
  if (source.has('index.json')) return fromIndex(source, ref);
  if (source.has('manifest.json')) return fromDockerSave(source, ref);
  throw new ImageError('not an image: neither index.json (OCI layout) nor manifest.json (docker save) found');
}
