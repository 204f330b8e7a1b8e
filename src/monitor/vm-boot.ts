// Boots a VM from a checked unikernel and a MonitorConfig, up to the moment the vCPU would start; `run` starts it.
// `runcc hvt` runs it at once; the OCI runtime holds it prepared until `runcc start`.
import { tmpdir } from 'node:os';
import { Manifest } from '../solo5/manifest';
import { dropPrivileges, monitorIdentity } from './confinement/privilege-drop';
import { hostArch } from './arch';
import { GuestArch } from './arch/guest-arch';
import { encodeCmdline, writeBootInfo } from './boot-info';
import { GuestMemory } from './guest-memory';
import { CoreHypercalls } from './hypercalls/core-hypercalls';
import { HypercallTable } from './hypercalls/hypercall-table';
import { KernelImage } from './kernel-image';
import { KvmVm } from './kvm/kvm-vm';
import { guestMemorySize } from './memory-size';
import { BlockModule } from './modules/block-module';
import { requireAllAttached } from './modules/device-attachments';
import { NetModule } from './modules/net-module';
import { MonitorConfig, NetAttachment } from './monitor-config';
import { onStopSignal, startStopTick } from './signals';
import { confine } from './confinement/seccomp-install';
import { SeccompMode } from '../seccomp/seccomp-filter';
import { VcpuLoop } from './vcpu-loop';
import { WaitSet } from './wait-set';

/** A unikernel whose Solo5 notes have been read and checked. */
export interface CheckedKernel {
  image: KernelImage;
  manifest: Manifest;
  arch: GuestArch;
}

export interface BootHost {
  /** An operator-facing warning or error line (the caller adds the program prefix). */
  report(message: string): void;
  /** Called when SIGINT or SIGTERM stops the monitor (after "Exiting on signal N" was reported). */
  exit(code: number): never;
  /** The seccomp filter installed before the first KVM_RUN (`on` unless told otherwise). */
  seccomp?: SeccompMode;
}

/** What is known only when the guest starts: the OCI runtime wires the container's network at `runcc start`. */
export interface LateBootConfig {
  nets: NetAttachment[];
  /** The guest's arguments, replacing the configured ones (the runtime adds the network configuration). */
  guestArgs: string[];
}

export interface PreparedVm {
  /**
   * Attaches the late devices, checks that every declared device is attached, writes the boot info, drops the
   * monitor's privileges when the config asks (its empty root made in `scratchDir`) and starts the vCPU; resolves
   * to the guest's exit status.
   */
  run(late?: LateBootConfig, scratchDir?: string): Promise<number>;
}

/** Opens `path` and checks its ABI1 note and manifest (Solo5's order: before any option is applied). */
export function checkKernel(path: string): CheckedKernel {
  const arch = hostArch();
  const image = KernelImage.open(path);
  image.checkAbi(arch);
  return { image, manifest: image.manifest(arch), arch };
}

/** Attaches devices, creates and loads the VM, sets up the vCPU and boot info. Errors end the monitor. */
export function prepareVm(kernel: CheckedKernel, config: MonitorConfig, host: BootHost): PreparedVm {
  const { image, manifest, arch } = kernel;
  const block = new BlockModule();
  block.attach(config.blocks, manifest);
  const net = new NetModule();
  net.attach(config.nets, manifest);
  encodeCmdline(config.guestArgs); // refuses an over-long command line now rather than at start

  onStopSignal((signalNumber) => {
    host.report(`Exiting on signal ${signalNumber}`);
    host.exit(1);
  });

  const size = guestMemorySize(config.memMiB, arch.memGranuleBytes, arch.maxMemBytes);
  if (size.adjusted) host.report(`adjusting memory to ${size.bytes} bytes`);
  const vm = new KvmVm();
  const memory = new GuestMemory(size.bytes);
  vm.setMemory(memory);
  const plan = image.load(arch, memory);
  image.close();
  const cpuCycleHz = arch.setupVcpu(vm, memory, plan.entry);

  const table = new HypercallTable();
  const waitSet = new WaitSet();
  new CoreHypercalls(memory, waitSet).register(table);
  block.setup(manifest, memory, table);

  return {
    run: (late, scratchDir = tmpdir()) => {
      if (late) net.attach(late.nets, manifest);
      net.setup(manifest, memory, table, waitSet);
      requireAllAttached(manifest);
      writeBootInfo(memory.data, arch.bootInfoBase, {
        guestSizeBytes: memory.guestSizeBytes,
        kernelEnd: plan.kernelEnd,
        cpuCycleHz,
        manifest,
        cmdline: encodeCmdline(late ? late.guestArgs : config.guestArgs),
      });
      startStopTick();
      const loop = new VcpuLoop(vm, memory, arch, table);
      if (config.confinement) dropPrivileges(monitorIdentity(config.confinement, scratchDir));
      // Last: from here on the monitor makes only the calls of the allowlist (src/seccomp/syscall-allowlist.ts).
      confine(host.seccomp ?? 'on');
      return loop.start();
    },
  };
}
