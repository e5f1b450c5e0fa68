// The JSON body of an API call, bounded: requests are tiny (a stack and a few
// names), so anything large is refused before it is buffered.
import type { IncomingMessage } from 'node:http';

export const MAX_BODY_BYTES = 64 * 1024;

export type Body = { ok: true; value: unknown } | { ok: false; status: 400 | 413 | 415; message: string };

export function isJsonContentType(header: string | undefined): boolean {
  if (!header) return false;
  return header.split(';')[0]!.trim().toLowerCase() === 'application/json';
}

export async function readJsonBody(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<Body> {
  // Only JSON: a plain <form> post from another page cannot produce it.
  if (!isJsonContentType(req.headers['content-type'])) {
    return { ok: false, status: 415, message: 'Send the request as `Content-Type: application/json`.' };
  }
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (Number.isFinite(declared) && declared > limit) return { ok: false, status: 413, message: `Request body over ${limit} bytes.` };
  const read = await new Promise<{ ok: true; data: Buffer } | { ok: false; status: 400 | 413; message: string }>((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (r: { ok: true; data: Buffer } | { ok: false; status: 400 | 413; message: string }) => {
      if (done) return;
      done = true;
      resolve(r);
    };
    req.on('data', (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      if (size > limit) {
        // Stop reading; the caller answers 413 and closes the connection.
        req.pause();
        finish({ ok: false, status: 413, message: `Request body over ${limit} bytes.` });
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => finish({ ok: true, data: Buffer.concat(chunks) }));
    req.on('error', () => finish({ ok: false, status: 400, message: 'The request body was cut off.' }));
    req.on('aborted', () => finish({ ok: false, status: 400, message: 'The request body was cut off.' }));
  });
  if (!read.ok) return read;
  const text = read.data.toString('utf8');
  if (text.trim() === '') return { ok: true, value: {} };
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (err) {
    return { ok: false, status: 400, message: `The request body is not valid JSON: ${(err as Error).message}` };
  }
}
