// A KVM virtual machine with one vCPU and one memory slot: the host side of Solo5's hvt_init (ABI reference §3.1).
import {
  KVM_API_VERSION,
  KVM_CAP_IOEVENTFD,
  KVM_CAP_USER_MEMORY,
  KVM_CHECK_EXTENSION,
  KVM_CREATE_VCPU,
  KVM_CREATE_VM,
  KVM_GET_API_VERSION,
  KVM_GET_REGS,
  KVM_GET_VCPU_MMAP_SIZE,
  KVM_IOEVENTFD,
  KVM_IOEVENTFD_FLAG_PIO,
  KVM_IOEVENTFD_OFFSET,
  KVM_REGS_OFFSET,
  KVM_SET_USER_MEMORY_REGION,
  KVM_STRUCT_SIZE,
} from '../../ffi/kvm-api';
import { O_CLOEXEC, O_RDWR, errno, libc, strerror } from '../../ffi/libc';
import { NativeRegion, mapFd, scratch } from '../../ffi/native-memory';
import { HVT_RING_KICK_PORT } from '../../solo5/abi';
import { GuestMemory } from '../guest-memory';
import { fatal } from '../monitor-error';

export const KVM_DEVICE = '/dev/kvm';

export class KvmVm {
  readonly kvmFd: number;
  readonly vmFd: number;
  readonly vcpuFd: number;
  /** The vCPU's shared kvm_run area. */
  readonly run: NativeRegion;
  /** Scratch for ioctl structs (regs, sregs, cpuid, memory region); 8 KiB covers the largest (cpuid2 with 100 entries). */
  readonly scratch: NativeRegion;

  constructor() {
    this.kvmFd = libc.open(KVM_DEVICE, O_RDWR | O_CLOEXEC, 0);
    if (this.kvmFd < 0) fatal(`Could not open: ${KVM_DEVICE}: ${strerror(errno())}`);
    const api = this.ioctl(this.kvmFd, KVM_GET_API_VERSION, 0, 'KVM_GET_API_VERSION');
    if (api !== KVM_API_VERSION) fatal(`KVM: API version is ${api}, should be ${KVM_API_VERSION}`);
    this.vmFd = this.ioctl(this.kvmFd, KVM_CREATE_VM, 0, 'KVM_CREATE_VM');
    this.vcpuFd = this.ioctl(this.vmFd, KVM_CREATE_VCPU, 0, 'KVM_CREATE_VCPU');
    const runBytes = this.ioctl(this.kvmFd, KVM_GET_VCPU_MMAP_SIZE, 0, 'KVM_GET_VCPU_MMAP_SIZE');
    if (runBytes < KVM_STRUCT_SIZE.kvm_run) fatal('KVM: invalid VCPU_MMAP_SIZE');
    this.run = mapFd(this.vcpuFd, runBytes);
    if (this.checkExtension(KVM_CAP_USER_MEMORY) !== 1) fatal('KVM: host does not support KVM_CAP_USER_MEMORY');
    this.scratch = scratch(8192);
  }

  /** ioctl that ends the monitor on failure, naming the request. Returns the ioctl's non-negative result. */
  ioctl(fd: number, request: number, arg: number, name: string): number {
    const result = libc.ioctl(fd, request, arg);
    if (result < 0) fatal(`KVM: ioctl (${name}) failed: ${strerror(errno())}`);
    return result;
  }

  checkExtension(capability: number): number {
    return this.ioctl(this.kvmFd, KVM_CHECK_EXTENSION, capability, 'KVM_CHECK_EXTENSION');
  }

  supportsIoEventFd(): boolean {
    return libc.ioctl(this.kvmFd, KVM_CHECK_EXTENSION, KVM_CAP_IOEVENTFD) > 0;
  }

  /**
   * Makes every 4-byte OUT to the ring's kick port signal `eventFd` inside KVM, without a VM exit. Returns 0, or
   * the errno of the refusal.
   */
  registerKick(eventFd: number): number {
    const request = this.scratch.data;
    for (let at = 0; at < KVM_STRUCT_SIZE.kvm_ioeventfd; at += 8) request.setBigUint64(at, 0n, true);
    request.setBigUint64(KVM_IOEVENTFD_OFFSET.addr, BigInt(HVT_RING_KICK_PORT), true);
    request.setUint32(KVM_IOEVENTFD_OFFSET.len, 4, true);
    request.setInt32(KVM_IOEVENTFD_OFFSET.fd, eventFd, true);
    request.setUint32(KVM_IOEVENTFD_OFFSET.flags, KVM_IOEVENTFD_FLAG_PIO, true);
    return libc.ioctl(this.vmFd, KVM_IOEVENTFD, this.scratch.address) < 0 ? errno() : 0;
  }

  /** Registers guest RAM as memory slot 0 at guest-physical 0. */
  setMemory(memory: GuestMemory): void {
    const region = this.scratch.data;
    region.setUint32(0, 0, true); // slot
    region.setUint32(4, 0, true); // flags
    region.setBigUint64(8, 0n, true); // guest_phys_addr
    region.setBigUint64(16, BigInt(memory.allocBytes), true);
    region.setBigUint64(24, BigInt(memory.hostBase), true);
    this.ioctl(this.vmFd, KVM_SET_USER_MEMORY_REGION, this.scratch.address, 'KVM_SET_USER_MEMORY_REGION');
  }

  /** The vCPU's current RIP (for fault messages). */
  instructionPointer(): bigint {
    this.ioctl(this.vcpuFd, KVM_GET_REGS, this.scratch.address, 'KVM_GET_REGS');
    return this.scratch.data.getBigUint64(KVM_REGS_OFFSET.rip, true);
  }
}
