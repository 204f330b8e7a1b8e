// The one error type of the ELF reader: the executable is malformed, unsupported or unreadable.

export class ElfError extends Error {
  readonly code = 'EINVALIDELF';
  constructor(message: string) {
    super(message);
    this.name = 'ElfError';
  }
}

/** Prefix of every rejection of a malformed executable, as Solo5's loader words it. */
export const INVALID_EXECUTABLE = 'invalid executable';
