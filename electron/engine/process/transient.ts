// Out of file descriptors (EMFILE: this process, ENFILE: the system) is a
// passing state, not an answer: a /proc read that fails for it says nothing
// about the process, which must not be taken for gone, and a probe that could
// not open its socket says nothing about the service.

export function isOutOfDescriptors(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException | null)?.code;
  return code === 'EMFILE' || code === 'ENFILE';
}

/** In a `catch` that reads failure as "gone" or "unreadable": lets a descriptor shortage through instead. */
export function rethrowIfOutOfDescriptors(e: unknown): void {
  if (isOutOfDescriptors(e)) throw e;
}
