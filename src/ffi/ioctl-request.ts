// Linux ioctl request encoding (include/uapi/asm-generic/ioctl.h): dir:2 | size:14 | type:8 | nr:8.

const IOC_NRBITS = 8;
const IOC_TYPEBITS = 8;
const IOC_SIZEBITS = 14;
const IOC_NRSHIFT = 0;
const IOC_TYPESHIFT = IOC_NRSHIFT + IOC_NRBITS;
const IOC_SIZESHIFT = IOC_TYPESHIFT + IOC_TYPEBITS;
const IOC_DIRSHIFT = IOC_SIZESHIFT + IOC_SIZEBITS;

const IOC_NONE = 0;
const IOC_WRITE = 1;
const IOC_READ = 2;

/** Builds a request number; returned as an unsigned 32-bit JS number (e.g. 0xC008AE05). */
export function ioc(dir: number, type: number, nr: number, sizeBytes: number): number {
  if (sizeBytes < 0 || sizeBytes >= 1 << IOC_SIZESHIFT) throw new RangeError(`ioctl size ${sizeBytes} out of range`);
  return (
    ((dir << IOC_DIRSHIFT) | (sizeBytes << IOC_SIZESHIFT) | (type << IOC_TYPESHIFT) | (nr << IOC_NRSHIFT)) >>> 0
  );
}

export const io = (type: number, nr: number): number => ioc(IOC_NONE, type, nr, 0);
export const ior = (type: number, nr: number, sizeBytes: number): number => ioc(IOC_READ, type, nr, sizeBytes);
export const iow = (type: number, nr: number, sizeBytes: number): number => ioc(IOC_WRITE, type, nr, sizeBytes);
export const iowr = (type: number, nr: number, sizeBytes: number): number =>
  ioc(IOC_READ | IOC_WRITE, type, nr, sizeBytes);
