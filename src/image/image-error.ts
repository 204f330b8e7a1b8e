// Errors in building or unpacking an image: they name the entry, blob or file at fault.

export class ImageError extends Error {
  readonly code = 'EIMAGE';
  constructor(message: string) {
    super(message);
    this.name = 'ImageError';
  }
}

/**
 * Waits for all of a stream pipeline's parts. When one fails, the others usually fail with a bare "premature close":
 * the ImageError (which names the entry or blob) is the one reported; any other error goes through `wrap`.
 */
export async function settleStreams(parts: Promise<unknown>[], wrap: (error: Error) => Error = (e) => e): Promise<void> {
  const results = await Promise.allSettled(parts);
  const failures = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => r.reason as Error);
  if (failures.length === 0) return;
  const named = failures.find((e) => e instanceof ImageError);
  throw named ?? wrap(failures[0]);
}
