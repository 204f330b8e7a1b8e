// `runcc image build` and `runcc image unpack`: unikernels as container images, and images as runcc bundles.
import { basename } from 'node:path';
import yargs from 'yargs';
import { buildImage } from '../image/image-build';
import { ImageError } from '../image/image-error';
import { DEFAULT_LIMITS, unpackImage, UnpackLimits } from '../image/image-unpack';
import { MFT_DEV_BLOCK_BASIC } from '../solo5/abi';
import { RuntimeError } from '../runtime/runtime-error';
import { unikernelSpecTemplate } from '../runtime/spec-template';
import { NET_FORMAT_ANNOTATION, hvtKernel, imageNetFormat } from '../runtime/unikernel';

function fail(message: string): never {
  throw new ImageError(message);
}

/** NAME=VALUE pairs from repeated options. */
function pairs(values: unknown, option: string): [string, string][] {
  const list = values === undefined ? [] : Array.isArray(values) ? values.map(String) : [String(values)];
  return list.map((item) => {
    const at = item.indexOf('=');
    if (at <= 0) fail(`--${option} ${item}: expected NAME=VALUE`);
    return [item.slice(0, at), item.slice(at + 1)];
  });
}

/** A one-line progress display on a terminal (stderr), nothing otherwise. */
function progressLine(): ((layer: number, layers: number, bytes: number, size: number) => void) | undefined {
  if (!process.stderr.isTTY) return undefined;
  let last = 0;
  return (layer, layers, bytes, size) => {
    const now = Date.now();
    if (now - last < 100 && bytes < size) return;
    last = now;
    const mb = (n: number): string => (n / 1e6).toFixed(1);
    process.stderr.write(`\rlayer ${layer}/${layers}: ${mb(bytes)} / ${mb(size)} MB${bytes >= size ? '\n' : ''}`);
  };
}

async function build(parsed: Record<string, unknown>): Promise<void> {
  const kernel = String(parsed.kernel);
  const hvt = hvtKernel(kernel);
  if (!hvt) fail(`${kernel}: not a Solo5 hvt unikernel for x86_64`);
  const declared = hvt.manifest.devicesOfType(MFT_DEV_BLOCK_BASIC);
  const blocks = pairs(parsed.block, 'block').map(([name, path]) => {
    if (!declared.includes(name)) fail(`--block ${name}: ${basename(kernel)} declares no block device ${name}${declared.length ? ` (it has ${declared.join(', ')})` : ''}`);
    return { name, path };
  });
  const annotations = Object.fromEntries(pairs(parsed.annotation, 'annotation'));
  try {
    const format = imageNetFormat(parsed['net-format'] === undefined ? undefined : String(parsed['net-format']), annotations, hvt.detectedNetFormat);
    if (format !== undefined) annotations[NET_FORMAT_ANNOTATION] = format;
  } catch (error) {
    fail((error as Error).message);
  }
  const built = await buildImage({
    kernelPath: kernel,
    args: (parsed.arg as string[] | undefined)?.map(String) ?? [],
    blocks,
    annotations,
    reference: String(parsed.tag),
    output: String(parsed.output),
  });
  process.stdout.write(`${built.manifest.digest}\n`);
}

/** A positive whole number given to `--NAME`. */
function count(value: unknown, option: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n <= 0) fail(`--${option} ${String(value)}: expected a positive whole number`);
  return n;
}

async function unpack(parsed: Record<string, unknown>): Promise<void> {
  const limits: UnpackLimits = {
    maxEntries: count(parsed['max-entries'], 'max-entries'),
    maxBytes: count(parsed['max-bytes'], 'max-bytes'),
  };
  await unpackImage({
    limits,
    image: String(parsed.image),
    bundle: String(parsed.bundle),
    ref: parsed.ref === undefined ? undefined : String(parsed.ref),
    baseSpec: unikernelSpecTemplate(),
    progress: progressLine(),
  });
}

export function runImageCommand(argv: string[]): void {
  const run = (work: () => Promise<void>) => async (): Promise<void> => {
    try {
      await work();
      process.exit(0);
    } catch (error) {
      const known = error instanceof ImageError || error instanceof RuntimeError;
      process.stderr.write(`runcc: ${known ? (error as Error).message : `internal error: ${(error as Error).message}`}\n`);
      process.exit(1);
    }
  };
  void yargs(argv)
    .scriptName('runcc image')
    .command(
      'build <kernel>',
      'build a container image (docker load / ctr image import) from a Solo5 hvt unikernel',
      (y) =>
        y
          .positional('kernel', { type: 'string', demandOption: true })
          .option('arg', { type: 'string', array: true, describe: 'an argument for the unikernel (the image Cmd); repeat' })
          .option('block', { type: 'string', array: true, describe: 'NAME=FILE: a disk image for block device NAME; repeat' })
          .option('annotation', { type: 'string', array: true, describe: 'K=V: an image label and manifest annotation; repeat' })
          .option('net-format', { type: 'string', describe: 'how the guest reads its network configuration: none, runcc, mirage, rumprun or unikraft (default: detected from the kernel, else none)' })
          .option('tag', { alias: 't', type: 'string', demandOption: true, describe: 'NAME[:TAG]' })
          .option('output', { alias: 'o', type: 'string', demandOption: true, describe: 'the tar to write' }),
      (a) => void run(() => build(a))(),
    )
    .command(
      'unpack <image>',
      'unpack an image (OCI layout directory or tar, docker-save tar) into a runcc bundle',
      (y) =>
        y
          .positional('image', { type: 'string', demandOption: true })
          .option('bundle', { alias: 'b', type: 'string', demandOption: true, describe: 'the bundle directory to create' })
          .option('ref', { type: 'string', describe: 'NAME:TAG, when the image file holds several' })
          .option('max-entries', { type: 'string', default: String(DEFAULT_LIMITS.maxEntries), describe: 'refuse an image with more tar entries (all layers together)' })
          .option('max-bytes', { type: 'string', default: String(DEFAULT_LIMITS.maxBytes), describe: 'refuse an image with more uncompressed tar bytes (all layers together)' }),
      (a) => void run(() => unpack(a))(),
    )
    .demandCommand(1, 'name a command: build or unpack')
    .strict()
    .fail((message, error, y) => {
      process.stderr.write(`runcc image: ${error ? error.message : message}\n\n${y.help()}\n`);
      process.exit(1);
    })
    .help()
    .parse();
}
