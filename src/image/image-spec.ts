// The OCI image-spec documents runcc writes and reads (index, manifest, config, descriptors), docker's save-format
// manifest.json, and the media types that name them.

export const MEDIA = {
  index: 'application/vnd.oci.image.index.v1+json',
  manifest: 'application/vnd.oci.image.manifest.v1+json',
  config: 'application/vnd.oci.image.config.v1+json',
  layerTar: 'application/vnd.oci.image.layer.v1.tar',
  layerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  layerZstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  dockerLayerTar: 'application/vnd.docker.image.rootfs.diff.tar',
} as const;

/** The tag of a manifest in index.json, and the full image name containerd's importer reads. */
export const REF_NAME_ANNOTATION = 'org.opencontainers.image.ref.name';
export const CONTAINERD_NAME_ANNOTATION = 'io.containerd.image.name';

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
  platform?: { architecture: string; os: string; variant?: string };
}

export interface ImageIndex {
  schemaVersion: 2;
  mediaType?: string;
  manifests: Descriptor[];
}

export interface ImageManifest {
  schemaVersion: 2;
  mediaType?: string;
  config: Descriptor;
  layers: Descriptor[];
  annotations?: Record<string, string>;
}

export interface ImageConfig {
  architecture: string;
  os: string;
  variant?: string;
  created?: string;
  author?: string;
  config?: {
    User?: string;
    Env?: string[];
    Entrypoint?: string[] | null;
    Cmd?: string[] | null;
    WorkingDir?: string;
    Labels?: Record<string, string> | null;
    StopSignal?: string;
    ExposedPorts?: Record<string, object>;
  };
  rootfs: { type: 'layers'; diff_ids: string[] };
  history?: { created?: string; created_by?: string; empty_layer?: boolean }[];
}

/** One entry of docker's save-format manifest.json. */
export interface DockerSaveEntry {
  Config: string;
  RepoTags?: string[] | null;
  Layers: string[];
}

export type LayerCompression = 'none' | 'gzip' | 'zstd';

/** How a layer blob is compressed, from its media type. */
export function layerCompression(mediaType: string): LayerCompression | undefined {
  if (mediaType === MEDIA.layerTar || mediaType === MEDIA.dockerLayerTar || mediaType === 'application/vnd.oci.image.layer.nondistributable.v1.tar') return 'none';
  if (mediaType === MEDIA.layerGzip || mediaType === MEDIA.dockerLayerGzip || mediaType === 'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip') return 'gzip';
  if (mediaType === MEDIA.layerZstd || mediaType === 'application/vnd.oci.image.layer.nondistributable.v1.tar+zstd') return 'zstd';
  return undefined;
}

/** Splits NAME:TAG (the tag defaults to latest; a registry port's colon is not a tag). */
export function parseReference(ref: string): { name: string; tag: string } {
  const slash = ref.lastIndexOf('/');
  const colon = ref.lastIndexOf(':');
  if (colon > slash) return { name: ref.slice(0, colon), tag: ref.slice(colon + 1) };
  return { name: ref, tag: 'latest' };
}

/** The fully qualified name containerd gives an image (docker.io/library/NAME:TAG for a short name). */
export function containerdName(ref: string): string {
  const { name, tag } = parseReference(ref);
  const first = name.split('/')[0];
  const hasRegistry = name.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost');
  const full = hasRegistry ? name : name.includes('/') ? `docker.io/${name}` : `docker.io/library/${name}`;
  return `${full}:${tag}`;
}
