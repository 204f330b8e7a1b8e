import {
  KVM_CREATE_VM,
  KVM_GET_REGS,
  KVM_GET_SREGS,
  KVM_GET_SUPPORTED_CPUID,
  KVM_GET_TSC_KHZ,
  KVM_REGS_OFFSET,
  KVM_RUN,
  KVM_SET_CPUID2,
  KVM_SET_REGS,
  KVM_SET_SREGS,
  KVM_SET_USER_MEMORY_REGION,
  KVM_SREGS_OFFSET,
  KVM_STRUCT_SIZE,
} from '../../../src/ffi/kvm-api';
import { iow } from '../../../src/ffi/ioctl-request';

describe('ioctl request encoding', () => {
  test.each([
    ['KVM_RUN', KVM_RUN, 0xae80],
    ['KVM_CREATE_VM', KVM_CREATE_VM, 0xae01],
    ['KVM_SET_USER_MEMORY_REGION', KVM_SET_USER_MEMORY_REGION, 0x4020ae46],
    ['KVM_GET_REGS', KVM_GET_REGS, 0x8090ae81],
    ['KVM_SET_REGS', KVM_SET_REGS, 0x4090ae82],
    ['KVM_GET_SREGS', KVM_GET_SREGS, 0x8138ae83],
    ['KVM_SET_SREGS', KVM_SET_SREGS, 0x4138ae84],
    ['KVM_GET_SUPPORTED_CPUID', KVM_GET_SUPPORTED_CPUID, 0xc008ae05],
    ['KVM_SET_CPUID2', KVM_SET_CPUID2, 0x4008ae90],
    ['KVM_GET_TSC_KHZ', KVM_GET_TSC_KHZ, 0xaea3],
    ['TUNSETIFF', iow(0x54, 202, 4), 0x400454ca],
  ])('%s is 0x%s', (_name, actual, expected) => {
    expect(actual).toBe(expected);
  });

  test('struct sizes match the kernel', () => {
    expect(KVM_STRUCT_SIZE).toMatchObject({ kvm_regs: 144, kvm_sregs: 312, kvm_userspace_memory_region: 32, kvm_segment: 24 });
  });

  test('field offsets lie inside their structs', () => {
    expect(KVM_REGS_OFFSET.rflags + 8).toBe(KVM_STRUCT_SIZE.kvm_regs);
    expect(KVM_SREGS_OFFSET.apic_base + 8 + 4 * 8).toBe(KVM_STRUCT_SIZE.kvm_sregs);
  });
});
