// The solo5-hvt-compatible monitor: argument passes, executable checks, VM setup, run (ABI reference §1.2).
import { ElfError } from '../elf/elf-error';
import { SysError } from '../ffi/sys-error';
import { HVT_ABI_VERSION } from '../solo5/abi';
import { hostArch } from './arch';
import { writeBootInfo, encodeCmdline } from './boot-info';
import { GuestMemory } from './guest-memory';
import { CoreHypercalls } from './hypercalls/core-hypercalls';
import { HypercallTable } from './hypercalls/hypercall-table';
import { KernelImage } from './kernel-image';
import { KvmVm } from './kvm/kvm-vm';
import { guestMemorySize } from './memory-size';
import { BlockModule } from './modules/block-module';
import { requireAllAttached } from './modules/device-attachments';
import { NetModule } from './modules/net-module';
import { MonitorError } from './monitor-error';
import { locateKernel, parseOptions, usageText } from './options';
import { onStopSignal, startStopTick } from './signals';
import { VcpuLoop } from './vcpu-loop';
import { WaitSet } from './wait-set';

export interface MonitorHost {
  /** Program name used as the message prefix and in the usage text ("runcc-hvt"). */
  prog: string;
  version: string;
  /** Writes operator-facing text to standard error. */
  writeStderr(text: string): void;
  /** Ends the process at once (signals). */
  exit(code: number): never;
}

function report(host: MonitorHost, message: string): void {
  host.writeStderr(message.split('\n').map((line) => `${host.prog}: ${line}\n`).join(''));
}

async function boot(argv: readonly string[], host: MonitorHost): Promise<number> {
  const located = locateKernel(argv);
  if (located.kind === 'help') {
    host.writeStderr(usageText(host.prog));
    return 1;
  }
  if (located.kind === 'version') {
    host.writeStderr(`${host.prog} tender, version ${host.version}\nABI version ${HVT_ABI_VERSION}\n`);
    return 0;
  }
  const arch = hostArch();
  const kernel = KernelImage.open(argv[located.index]);
  kernel.checkAbi(arch);
  const manifest = kernel.manifest(arch);
  const config = parseOptions(argv, located.index);
  const block = new BlockModule();
  block.attach(config.blocks, manifest);
  const net = new NetModule();
  net.attach(config.nets, manifest);
  const cmdline = encodeCmdline(config.guestArgs);

  onStopSignal((signalNumber) => {
    report(host, `Exiting on signal ${signalNumber}`);
    host.exit(1);
  });

  const size = guestMemorySize(config.memMiB, arch.memGranuleBytes, arch.maxMemBytes);
  if (size.adjusted) report(host, `adjusting memory to ${size.bytes} bytes`);
  const vm = new KvmVm();
  const memory = new GuestMemory(size.bytes);
  vm.setMemory(memory);
  const plan = kernel.load(arch, memory);
  kernel.close();
  const cpuCycleHz = arch.setupVcpu(vm, memory, plan.entry);

  const table = new HypercallTable();
  const waitSet = new WaitSet();
  new CoreHypercalls(memory, waitSet).register(table);
  block.setup(manifest, memory, table);
  net.setup(manifest, memory, table, waitSet);
  requireAllAttached(manifest);

  writeBootInfo(memory.data, arch.bootInfoBase, {
    guestSizeBytes: memory.guestSizeBytes,
    kernelEnd: plan.kernelEnd,
    cpuCycleHz,
    manifest,
    cmdline,
  });
  startStopTick();
  return new VcpuLoop(vm, memory, arch, table).start();
}

/**
 * Runs `runcc hvt ARGS` and resolves to the process exit status: the guest's halt status, or 1 with a message on
 * stderr for every error (never a stack trace).
 */
export async function hvtMain(argv: readonly string[], host: MonitorHost): Promise<number> {
  try {
    return await boot(argv, host);
  } catch (error) {
    if (error instanceof MonitorError) {
      report(host, error.message);
      if (error.withUsage) host.writeStderr(usageText(host.prog));
      return error.exitCode;
    }
    if (error instanceof ElfError || error instanceof SysError) {
      report(host, error.message);
      return 1;
    }
    report(host, `internal error: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
}
