// `runcc image build`: one tar that is both an OCI image layout (oci-layout, index.json, blobs/sha256/…) and a
// docker-save archive (manifest.json), so `docker load` and `ctr image import` both take it. FROM scratch: one
// uncompressed layer with the unikernel under /unikernel/, disk images under /blocks/, and /runcc.json carrying the
// runcc keys for engines that drop image labels. Reproducible: fixed times and owners, sorted entries, fixed JSON.
import { createReadStream, createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { pack as tarPack, Pack } from 'tar-stream';
import { BLOCK_ANNOTATION_PREFIX, RUNCC_JSON } from '../runtime/unikernel';
import { ImageError } from './image-error';
import {
  CONTAINERD_NAME_ANNOTATION,
  Descriptor,
  DockerSaveEntry,
  ImageConfig,
  ImageIndex,
  ImageManifest,
  MEDIA,
  REF_NAME_ANNOTATION,
  containerdName,
  parseReference,
} from './image-spec';
import { DigestingStream, sha256Digest } from './layer-stream';
import { EntryHeader, buildTime, dirHeader, fileHeader } from './tar-headers';

const RUNCC_KEY_PREFIX = 'org.runcc.';
const DEFAULT_PATH = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export interface ImageBuildOptions {
  kernelPath: string;
  args: string[];
  blocks: { name: string; path: string }[];
  annotations: Record<string, string>;
  /** NAME[:TAG] */
  reference: string;
  output: string;
}

export interface BuiltImage {
  manifest: Descriptor;
  config: Descriptor;
  layer: Descriptor;
}

/** Writes one entry from a file (streamed) or from bytes. */
function addEntry(pack: Pack, header: EntryHeader, content?: Buffer | string): Promise<void> {
  return new Promise((resolve, reject) => {
    if (typeof content === 'string') {
      const sink = pack.entry(header, (error) => (error ? reject(error) : resolve()));
      createReadStream(content).on('error', reject).pipe(sink);
    } else {
      pack.entry(header, content ?? Buffer.alloc(0), (error) => (error ? reject(error) : resolve()));
    }
  });
}

function jsonBlob(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value));
}

/** Packs entries (already sorted by the caller) into `path`; returns the tar's digest and size. */
async function writeTar(path: string, fill: (pack: Pack) => Promise<void>): Promise<{ digest: string; size: number }> {
  const pack = tarPack();
  const counter = new DigestingStream();
  const written = pipeline(pack as unknown as Readable, counter, createWriteStream(path));
  await fill(pack);
  pack.finalize();
  await written;
  return { digest: counter.digest(), size: counter.bytes };
}

export async function buildImage(options: ImageBuildOptions): Promise<BuiltImage> {
  const kernelName = basename(options.kernelPath);
  for (const file of [options.kernelPath, ...options.blocks.map((b) => b.path)]) {
    let ok = false;
    try {
      ok = statSync(file).isFile();
    } catch {
      // reported below
    }
    if (!ok) throw new ImageError(`${file}: not a readable regular file`);
  }
  const labels: Record<string, string> = { ...options.annotations };
  for (const block of options.blocks) labels[`${BLOCK_ANNOTATION_PREFIX}${block.name}`] = `/blocks/${block.name}`;
  const rootfsKeys = Object.fromEntries(Object.entries(labels).filter(([key]) => key.startsWith(RUNCC_KEY_PREFIX)).sort(([a], [b]) => (a < b ? -1 : 1)));

  const work = mkdtempSync(join(tmpdir(), 'runcc-image-'));
  try {
    const layerPath = join(work, 'layer.tar');
    const layerTar = await writeTar(layerPath, async (pack) => {
      const blocks = [...options.blocks].sort((a, b) => (a.name < b.name ? -1 : 1));
      if (blocks.length > 0) {
        await addEntry(pack, dirHeader('blocks/'));
        for (const block of blocks) await addEntry(pack, fileHeader(`blocks/${block.name}`, statSync(block.path).size), block.path);
      }
      if (Object.keys(rootfsKeys).length > 0) {
        const json = Buffer.from(`${JSON.stringify(rootfsKeys, null, 2)}\n`);
        await addEntry(pack, fileHeader(RUNCC_JSON.slice(1), json.length), json);
      }
      await addEntry(pack, dirHeader('unikernel/'));
      await addEntry(pack, fileHeader(`unikernel/${kernelName}`, statSync(options.kernelPath).size, 0o755), options.kernelPath);
    });
    const layer: Descriptor = { mediaType: MEDIA.layerTar, digest: layerTar.digest, size: layerTar.size };

    const created = buildTime().toISOString().replace('.000Z', 'Z');
    const imageConfig: ImageConfig = {
      created,
      architecture: 'amd64',
      os: 'linux',
      config: { Env: [DEFAULT_PATH], Entrypoint: [`/unikernel/${kernelName}`], Cmd: options.args, WorkingDir: '/', Labels: labels },
      rootfs: { type: 'layers', diff_ids: [layer.digest] },
      history: [{ created, created_by: `runcc image build ${kernelName}` }],
    };
    const configBytes = jsonBlob(imageConfig);
    const config: Descriptor = { mediaType: MEDIA.config, digest: sha256Digest(configBytes), size: configBytes.length };
    const manifestDoc: ImageManifest = {
      schemaVersion: 2,
      mediaType: MEDIA.manifest,
      config,
      layers: [layer],
      ...(Object.keys(options.annotations).length > 0 ? { annotations: options.annotations } : {}),
    };
    const manifestBytes = jsonBlob(manifestDoc);
    const { tag } = parseReference(options.reference);
    const manifest: Descriptor = {
      mediaType: MEDIA.manifest,
      digest: sha256Digest(manifestBytes),
      size: manifestBytes.length,
      platform: { architecture: 'amd64', os: 'linux' },
      annotations: { [CONTAINERD_NAME_ANNOTATION]: containerdName(options.reference), [REF_NAME_ANNOTATION]: tag },
    };
    const index: ImageIndex = { schemaVersion: 2, mediaType: MEDIA.index, manifests: [manifest] };
    const hex = (d: Descriptor): string => d.digest.slice('sha256:'.length);
    const dockerManifest: DockerSaveEntry[] = [
      { Config: `blobs/sha256/${hex(config)}`, RepoTags: [options.reference.includes(':') ? options.reference : `${options.reference}:latest`], Layers: [`blobs/sha256/${hex(layer)}`] },
    ];

    const blobs: [string, Buffer | string, number][] = [
      [hex(config), configBytes, configBytes.length],
      [hex(layer), layerPath, layer.size],
      [hex(manifest), manifestBytes, manifestBytes.length],
    ];
    blobs.sort(([a], [b]) => (a < b ? -1 : 1));
    await writeTar(options.output, async (pack) => {
      await addEntry(pack, dirHeader('blobs/'));
      await addEntry(pack, dirHeader('blobs/sha256/'));
      for (const [name, content, size] of blobs) await addEntry(pack, fileHeader(`blobs/sha256/${name}`, size), content);
      const indexBytes = jsonBlob(index);
      await addEntry(pack, fileHeader('index.json', indexBytes.length), indexBytes);
      const dockerBytes = jsonBlob(dockerManifest);
      await addEntry(pack, fileHeader('manifest.json', dockerBytes.length), dockerBytes);
      const layoutBytes = jsonBlob({ imageLayoutVersion: '1.0.0' });
      await addEntry(pack, fileHeader('oci-layout', layoutBytes.length), layoutBytes);
    });
    return { manifest, config, layer };
  } catch (error) {
    rmSync(options.output, { force: true });
    throw error;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
