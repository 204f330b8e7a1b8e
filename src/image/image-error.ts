// Errors in building or unpacking an image: they name the entry, blob or file at fault.

export class ImageError extends Error {
  readonly code = 'EIMAGE';
  constructor(message: string) {
    super(message);
    this.name = 'ImageError';
  }
}
