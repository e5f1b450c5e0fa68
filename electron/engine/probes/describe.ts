// Socket failures in the words a user acts on ("connection refused on
// 127.0.0.1:7234") rather than errno names, shared by the tcp, http and grpc probes.

/** host:port, with an IPv6 literal bracketed so the port stays readable. */
export function endpoint(host: string, port: number | string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * Node's happy-eyeballs connect (a name with both an IPv4 and an IPv6 address)
 * fails with an AggregateError that has no `code` of its own; its first
 * attempt's code is the useful one.
 */
export function errorCode(err: unknown): string | undefined {
  if (err instanceof AggregateError && err.errors.length > 0) return errorCode(err.errors[0]);
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** A failed connect as a probe's answer; `refused` when nothing listened. */
export function connectFailure(err: unknown, host: string, where: string): { ok: false; detail: string; refused?: true } {
  return { ok: false, detail: describeConnectError(err, host, where), ...(errorCode(err) === 'ECONNREFUSED' ? { refused: true as const } : {}) };
}

export function describeConnectError(err: unknown, host: string, where: string): string {
  switch (errorCode(err)) {
    case 'ECONNREFUSED':
      return `connection refused on ${where}`;
    case 'ECONNRESET':
      return `connection reset by ${where}`;
    case 'EPIPE':
      return `connection closed by ${where}`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_NONAME':
      return `cannot resolve host '${host}'`;
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return `no route to ${where}`;
    case 'ETIMEDOUT':
      return `connection to ${where} timed out`;
    case 'EADDRNOTAVAIL':
      return `cannot connect to ${where}: address not available`;
    default:
      return `cannot connect to ${where}: ${firstLine(err instanceof Error ? err.message : String(err))}`;
  }
}

/** OpenSSL and friends put a whole trace in `message`; a detail is one line. */
export function firstLine(message: string): string {
  const line = message.split('\n', 1)[0]?.trim() ?? '';
  return line.length > 200 ? `${line.slice(0, 200)}…` : line;
}
