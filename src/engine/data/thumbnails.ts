// Thumbnails of entity images for the review screen, made with sharp (libvips decodes and resizes
// on its own worker threads: neither the renderer nor main's event loop does pixel work) and cached
// on disk in the project (cache/thumbnails/), keyed by the file's path, size, mtime and the asked
// size, so a changed image gets a new thumbnail and an unchanged one is made once. Returned as a
// webp data: URL, which crosses Electron IPC and the browser bridge alike.
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp, { type Metadata, type OutputInfo } from 'sharp';
import { MmeaError } from '../../shared/errors';
import type { Thumbnail } from '../../shared/types';

export const THUMBNAIL_DIR = join('cache', 'thumbnails');

export class Thumbnails {
  private readonly dir: string;
  /** the same thumbnail asked for twice at once is made once */
  private readonly inFlight = new Map<string, Promise<Thumbnail>>();

  constructor(projectPath: string) {
    this.dir = join(projectPath, THUMBNAIL_DIR);
  }

  /** The thumbnail of `file` fitting in size × size (never enlarged). All file work is async: this
   *  runs in main, whose event loop serves the windows. */
  async get(file: string, size: number): Promise<Thumbnail> {
    let st;
    try {
      st = await stat(file);
    } catch (e) {
      throw new MmeaError('not-found', `image ${file}: ${(e as Error).message}`);
    }
    const key = createHash('sha1').update(`${file}\0${st.size}\0${st.mtimeMs}\0${size}`).digest('hex');
    let p = this.inFlight.get(key);
    if (!p) {
      p = this.make(file, size, key).finally(() => this.inFlight.delete(key));
      this.inFlight.set(key, p);
    }
    return p;
  }

  private async make(file: string, size: number, key: string): Promise<Thumbnail> {
    const path = join(this.dir, `${key}.webp`);
    const meta = join(this.dir, `${key}.json`);
    try {
      const m = JSON.parse(await readFile(meta, 'utf8')) as Omit<Thumbnail, 'dataUrl' | 'cached'>;
      return { ...m, dataUrl: `data:image/webp;base64,${(await readFile(path)).toString('base64')}`, cached: true };
    } catch {
      // not cached yet, or a damaged entry: made (again) below
    }
    let out: { data: Buffer; info: OutputInfo };
    let original: Metadata;
    try {
      const img = sharp(file);
      original = await img.metadata();
      // rotate(): orient by EXIF first, as a viewer would
      out = await img.rotate().resize({ width: size, height: size, fit: 'inside', withoutEnlargement: true }).webp({ quality: 80 }).toBuffer({ resolveWithObject: true });
    } catch (e) {
      throw new MmeaError('bad-input', `image ${file}: cannot be read as an image (${(e as Error).message})`);
    }
    const upright = (original.orientation ?? 1) >= 5; // EXIF orientations 5–8 swap width and height
    const m = {
      width: out.info.width,
      height: out.info.height,
      original: { width: (upright ? original.height : original.width) ?? 0, height: (upright ? original.width : original.height) ?? 0 },
    };
    await mkdir(this.dir, { recursive: true });
    // image first, its metadata last: a half-written entry has no .json and is made again
    for (const [p, data] of [
      [path, out.data],
      [meta, JSON.stringify(m)],
    ] as const) {
      const tmp = `${p}.${process.pid}.tmp`;
      await writeFile(tmp, data);
      await rename(tmp, p);
    }
    return { ...m, dataUrl: `data:image/webp;base64,${out.data.toString('base64')}`, cached: false };
  }
}
