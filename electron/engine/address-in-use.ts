// "Address already in use", as each runtime words it, read from the last lines
// of a service that died during startup, and the port it names: so Corral can
// say who holds that port even when the port was not declared in the stack file.
//
//   Node        Error: listen EADDRINUSE: address already in use :::3000
//   Go          listen tcp 127.0.0.1:8080: bind: address already in use
//   Python      [Errno 98] error while attempting to bind on address ('127.0.0.1', 8000): address already in use
//   Java        java.net.BindException: Address already in use / Port 8080 was already in use.
//   Ruby        Address already in use - bind(2) for "0.0.0.0" port 3000 (Errno::EADDRINUSE)
//   PostgreSQL  could not bind IPv4 address "127.0.0.1": Address already in use
//               HINT:  Is another postmaster already running on port 5432?
//   Redis       Could not create server TCP listening socket *:6379: bind: Address already in use
//   nginx       bind() to 0.0.0.0:80 failed (98: Address already in use)

const IN_USE = /address already in use|EADDRINUSE|address in use|port \d{1,5} (?:was|is) already in use/i;

const valid = (n: number) => (n >= 1 && n <= 65535 ? n : null);

/** The port a line names, if any. */
function portIn(line: string): number | null {
  const word = /\bport (\d{1,5})\b/i.exec(line);
  if (word) return valid(Number(word[1]));
  const tuple = /\(\s*['"][^'"]*['"]\s*,\s*(\d{1,5})\s*\)/.exec(line);
  if (tuple) return valid(Number(tuple[1]));
  // The last host:port (":::3000", "127.0.0.1:8080", "*:6379", "[::1]:80").
  const all = [...line.matchAll(/[\s\w.*\]:]:(\d{1,5})(?!\d)/g)];
  const last = all.at(-1);
  return last ? valid(Number(last[1])) : null;
}

/**
 * undefined: the lines do not say an address was in use; null: they do, without a
 * port; a number: the port they name.
 */
export function addressInUsePort(lines: readonly string[]): number | null | undefined {
  const hits = lines.filter((l) => IN_USE.test(l));
  if (hits.length === 0) return undefined;
  for (const l of hits) {
    const p = portIn(l);
    if (p !== null) return p;
  }
  // PostgreSQL names the port on the next line, in its hint.
  for (const l of lines) {
    const hint = /running on port (\d{1,5})/i.exec(l);
    if (hint) return valid(Number(hint[1]));
  }
  return null;
}
