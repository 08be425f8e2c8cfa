// Typed arrays to and from files, as raw little-endian bytes (the project's .i32/.f32 files, the
// feature cache, image vectors).
import { existsSync } from 'node:fs';
import { requireRegularFile } from './folder';
import { readFile } from 'node:fs/promises';

/** The bytes of a typed array, without copying (for writeFile). */
export function bytesOf(a: ArrayBufferView): Buffer {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}

/**
 * A file's bytes as an ArrayBuffer of its own: a Buffer from readFile may sit at an unaligned offset
 * of a shared pool, which typed-array views cannot use. An absent file reads as empty when `optional`.
 */
export async function readBytes(path: string, optional = false): Promise<ArrayBuffer> {
  if (optional && !existsSync(path)) return new ArrayBuffer(0);
  await requireRegularFile(path);
  const b = await readFile(path);
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
}
