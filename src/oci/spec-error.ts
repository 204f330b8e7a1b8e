// A config.json that does not follow the runtime-spec, with the path of the field at fault.

export class SpecError extends Error {
  readonly code = 'EINVALIDSPEC';
  constructor(
    /** Dotted path of the offending field ("process.args", "linux.namespaces[2].path"); "" for the document. */
    readonly fieldPath: string,
    readonly problem: string,
  ) {
    super(fieldPath ? `${fieldPath}: ${problem}` : problem);
    this.name = 'SpecError';
  }
}
