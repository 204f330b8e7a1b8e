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
import { NetRing, withRingRoom } from './net-ring/net-ring';
import { MFT_DEV_NET_BASIC } from '../solo5/abi';
import { BlockModule } from './modules/block-module';
import { requireAllAttached } from './modules/device-attachments';
import { NetModule } from './modules/net-module';
import { MonitorConfig, NetAttachment } from './monitor-config';
import { StopTick, onStopSignal } from './signals';
import { findEventLoopSignalPipe } from './event-loop-signal-pipe';
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

/**
 * What a monitor does before it knows its guest (a pre-started monitor, monitor-handoff.ts): /dev/kvm opened, the VM
 * and its vCPU created and given their guest-independent state, guest memory of `memMiB` mapped (reserved,
 * untouched: no page is charged to anyone yet), and the event loop's signal pipe found.
 */
export interface ReservedVm {
  vm: KvmVm;
  memory: GuestMemory;
  /** The guest's CPU cycle frequency, for its boot info. */
  cpuCycleHz: number;
  /** The event loop's signal pipe, or undefined where none answered (findEventLoopSignalPipe). */
  signalPipe: number | undefined;
}

export function reserveVm(memMiB: number): ReservedVm {
  const arch = hostArch();
  const size = guestMemorySize(memMiB, arch.memGranuleBytes, arch.maxMemBytes);
  const vm = new KvmVm();
  const cpuCycleHz = arch.initVcpu(vm);
  return { vm, memory: new GuestMemory(size.bytes), cpuCycleHz, signalPipe: findEventLoopSignalPipe() };
}

/** Opens `path` and checks its ABI1 note and manifest (Solo5's order: before any option is applied). */
export function checkKernel(path: string): CheckedKernel {
  const arch = hostArch();
  const image = KernelImage.open(path);
  image.checkAbi(arch);
  return { image, manifest: image.manifest(arch), arch };
}

/**
 * Attaches devices, creates (or takes the `reserved`) VM and loads it, sets up the vCPU and boot info. Reserved
 * memory of another size than the configured one is given back and mapped anew. Errors end the monitor.
 */
export function prepareVm(kernel: CheckedKernel, config: MonitorConfig, host: BootHost, reserved?: ReservedVm): PreparedVm {
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
  // A declared net device is attached by the time the guest runs (requireAllAttached), so it decides the ring's room.
  const wantsRing = config.netRing !== false && manifest.devicesOfType(MFT_DEV_NET_BASIC).length > 0;
  const allocBytes = wantsRing ? withRingRoom(size.bytes, arch.memGranuleBytes, arch.maxMemBytes) : size.bytes;
  const vm = reserved?.vm ?? new KvmVm();
  const cpuCycleHz = reserved?.cpuCycleHz ?? arch.initVcpu(vm);
  let memory: GuestMemory;
  if (reserved && reserved.memory.allocBytes === allocBytes) {
    memory = reserved.memory;
  } else {
    reserved?.memory.release();
    memory = new GuestMemory(allocBytes);
  }
  vm.setMemory(memory);
  const plan = image.load(arch, memory);
  image.close();
  const ring = wantsRing ? NetRing.reserve(memory, plan.kernelEnd, host.report) : undefined;
  arch.setupVcpu(vm, memory, plan.entry);

  const table = new HypercallTable();
  const waitSet = new WaitSet();
  const tick = new StopTick();
  new CoreHypercalls(memory, waitSet, tick).register(table);
  block.setup(manifest, memory, table);

  return {
    run: (late, scratchDir = tmpdir()) => {
      if (late) net.attach(late.nets, manifest);
      net.setup(manifest, memory, table, waitSet);
      requireAllAttached(manifest);
      const ringServed = ring !== undefined && net.attachedCount > 0 && ring.start(vm, memory, net.fdByHandle, waitSet, host.report);
      writeBootInfo(memory.data, arch.bootInfoBase, {
        guestSizeBytes: memory.guestSizeBytes,
        kernelEnd: plan.kernelEnd,
        cpuCycleHz,
        manifest,
        cmdline: encodeCmdline(late ? late.guestArgs : config.guestArgs),
        netRingGpa: ringServed ? ring.ringGpa : 0,
      });
      tick.start();
      const signalPipe = reserved ? reserved.signalPipe : findEventLoopSignalPipe();
      if (signalPipe !== undefined) {
        waitSet.addWake(signalPipe);
        tick.mayPause = true;
      }
      const loop = ringServed ? new VcpuLoop(vm, memory, arch, table, () => ring.throwIfFailed()) : new VcpuLoop(vm, memory, arch, table);
      if (config.confinement) dropPrivileges(monitorIdentity(config.confinement, scratchDir));
      // Last: from here on the monitor makes only the calls of the allowlist (src/seccomp/syscall-allowlist.ts).
      confine(host.seccomp ?? 'on');
      if (!ringServed) return loop.start();
      // HALT's hook (Solo5's): the worker sends what the guest queued, then stops.
      return loop.start().then((status) => {
        ring.stop();
        return status;
      });
    },
  };
}
