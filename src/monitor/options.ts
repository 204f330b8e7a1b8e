// The solo5-hvt command-line grammar (ABI reference §1.1–1.2): [--mem=N] [MODULE OPTIONS] [--] KERNEL [ARGS...]
import { BlockAttachment, DEFAULT_MEM_MIB, MonitorConfig, NetAttachment } from './monitor-config';
import { MonitorError } from './monitor-error';

export type LocateResult = { kind: 'help' } | { kind: 'version' } | { kind: 'kernel'; index: number };

/**
 * Pass 1: skips leading options (a literal `--` ends them), acts on --help/--version when met, and finds KERNEL.
 * A missing KERNEL is an option error.
 */
export function locateKernel(argv: readonly string[]): LocateResult {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--help') return { kind: 'help' };
    if (arg === '--version') return { kind: 'version' };
    if (arg === '--') {
      if (i + 1 < argv.length) return { kind: 'kernel', index: i + 1 };
      break;
    }
    if (!arg.startsWith('-')) return { kind: 'kernel', index: i };
  }
  throw new MonitorError('Missing KERNEL operand', 1, true);
}

const NAME = '([A-Za-z0-9]{1,67})';
const BLOCK = new RegExp(`^--block:${NAME}=(\\S{1,4096})$`);
const BLOCK_SECTOR = new RegExp(`^--block-sector-size:${NAME}=(\\d+)$`);
const NET = new RegExp(`^--net:${NAME}=(\\S{1,19})$`);
const NET_MAC = new RegExp(`^--net-mac:${NAME}=([0-9A-Fa-f]{1,2}(?::[0-9A-Fa-f]{1,2}){5})$`);
const MIN_SECTOR_BYTES = 512;

function invalidOption(arg: string): never {
  throw new MonitorError(`Invalid option: \`${arg}'`, 1, true);
}

function blockFor(blocks: BlockAttachment[], name: string): BlockAttachment {
  let block = blocks.find((b) => b.name === name);
  if (!block) {
    block = { name, path: '' };
    blocks.push(block);
  }
  return block;
}

function netFor(nets: NetAttachment[], name: string): NetAttachment {
  let net = nets.find((n) => n.name === name);
  if (!net) {
    net = { name };
    nets.push(net);
  }
  return net;
}

function parseFdBackend(value: string, arg: string): NetAttachment['backend'] {
  const digits = value.slice(1);
  const problem = !/^\d+$/.test(digits) ? 'Invalid argument' : Number(digits) > 0x7fffffff ? 'Numerical result out of range' : '';
  if (problem) throw new MonitorError(`Could not attach interface: ${value}: ${problem}\nInvalid option: \`${arg}'`, 1, true);
  return { kind: 'fd', fd: Number(digits) };
}

/**
 * Pass 2: parses the options before KERNEL (index from pass 1) into a MonitorConfig. Syntax only: whether a NAME is
 * declared in the unikernel's manifest is checked when devices are attached.
 */
export function parseOptions(argv: readonly string[], kernelIndex: number): MonitorConfig {
  const config: MonitorConfig = {
    kernelPath: argv[kernelIndex],
    memMiB: DEFAULT_MEM_MIB,
    guestArgs: argv.slice(kernelIndex + 1),
    blocks: [],
    nets: [],
  };
  for (let i = 0; i < kernelIndex; i++) {
    const arg = argv[i];
    if (arg === '--') break;
    let match: RegExpExecArray | null;
    if (arg.startsWith('--mem=')) {
      const value = arg.slice('--mem='.length);
      if (!/^\d+$/.test(value) || Number(value) === 0) throw new MonitorError('Malformed argument to --mem');
      config.memMiB = Number(value);
    } else if ((match = BLOCK.exec(arg))) {
      blockFor(config.blocks, match[1]).path = match[2];
    } else if ((match = BLOCK_SECTOR.exec(arg))) {
      const size = Number(match[2]);
      if (size < MIN_SECTOR_BYTES || size > 0xffff || (size & (size - 1)) !== 0) {
        throw new MonitorError(`Block size must be a multiple of 2 greater than or equal 512\nInvalid option: \`${arg}'`, 1, true);
      }
      blockFor(config.blocks, match[1]).sectorBytes = size;
    } else if ((match = NET.exec(arg))) {
      const value = match[2];
      const net = netFor(config.nets, match[1]);
      net.backend = value.startsWith('@') ? parseFdBackend(value, arg) : { kind: 'interface', ifname: value };
      net.option = arg;
    } else if ((match = NET_MAC.exec(arg))) {
      netFor(config.nets, match[1]).mac = Uint8Array.from(match[2].split(':').map((octet) => Number.parseInt(octet, 16)));
    } else {
      invalidOption(arg);
    }
  }
  return config;
}

/** The usage text, as solo5-hvt prints it to stderr for --help and option errors. */
export function usageText(prog: string): string {
  return [
    `usage: ${prog} [ CORE OPTIONS ] [ MODULE OPTIONS ] [ -- ] KERNEL [ ARGS ]`,
    'KERNEL is the filename of the unikernel to run.',
    'ARGS are optional arguments passed to the unikernel.',
    'Core options:',
    `  [ --mem=${DEFAULT_MEM_MIB} ] (guest memory in MB)`,
    '    --help (display this help)',
    '    --version (display version information)',
    'Compiled-in module options:',
    '    [ --block:NAME=PATH ] (attach block device/file at PATH as block storage NAME)',
    '    [ --block-sector-size:NAME=SIZE ] (set the block sector size of NAME, a power of two ≥ 512)',
    '    [ --net:NAME=IFACE | @NN ] (attach tap at IFACE or at fd @NN as network NAME)',
    '    [ --net-mac:NAME=HWADDR ] (set HWADDR for network NAME)',
    'Compiled-in modules: core block net',
    '',
  ].join('\n');
}
