// Positioned reads from an executable, so the ELF reader stays pure and testable on in-memory bytes.

export interface ByteSource {
  /** Up to `length` bytes at `position`; fewer at end of file (a short read), never more. */
  readAt(position: bigint, length: number): Uint8Array;
}

/** A ByteSource over bytes already in memory (tests, crafted executables). */
export function bytesSource(bytes: Uint8Array): ByteSource {
  return {
    readAt(position, length) {
      if (position >= BigInt(bytes.length)) return new Uint8Array(0);
      const start = Number(position);
      return bytes.subarray(start, Math.min(bytes.length, start + length));
    },
  };
}
