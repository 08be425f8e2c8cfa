// The app's own folder (its "home"): the projects it created (projects/), and settings.json with
// the curator's settings and the projects opened from elsewhere. Written atomically (a scratch file
// renamed over it), so a crash never leaves half a settings file.
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { appSettings, type AppSettings, type ProjectListEntry } from '../../shared/contract';
import { MmeaError } from '../../shared/errors';
import { isProject, readManifest } from '../../engine/data/project';

interface Stored extends AppSettings {
  /** projects opened from outside projects/, newest first */
  recent: string[];
}

export class Home {
  constructor(readonly path: string) {}

  get projectsDir(): string {
    return join(this.path, 'projects');
  }

  private get file(): string {
    return join(this.path, 'settings.json');
  }

  private read(): Stored {
    let raw: unknown = {};
    try {
      if (existsSync(this.file)) raw = JSON.parse(readFileSync(this.file, 'utf8'));
    } catch {
      raw = {}; // unreadable settings: the defaults (the file is rewritten on the next change)
    }
    const r = raw as { recent?: unknown };
    const recent = Array.isArray(r.recent) ? r.recent.filter((p): p is string => typeof p === 'string') : [];
    const parsed = appSettings.safeParse(raw);
    return { ...(parsed.success ? parsed.data : appSettings.parse({})), recent };
  }

  private write(s: Stored): void {
    mkdirSync(this.path, { recursive: true });
    const scratch = `${this.file}.partial-${process.pid}`;
    writeFileSync(scratch, JSON.stringify(s, null, 1));
    renameSync(scratch, this.file);
  }

  settings(): AppSettings {
    const { recent: _recent, ...s } = this.read();
    return s;
  }

  updateSettings(change: Partial<AppSettings>): AppSettings {
    this.write({ ...this.read(), ...change });
    return this.settings();
  }

  /** Removes what killed imports left in projects/ (`<name>.partial-<job>` scratch folders): called
   *  when the app starts, before any job of its own runs. Returns what it removed. */
  sweepScratch(): string[] {
    if (!existsSync(this.projectsDir)) return [];
    const left = readdirSync(this.projectsDir).filter((n) => /\.partial-[\w-]+$/.test(n));
    for (const n of left) rmSync(join(this.projectsDir, n), { recursive: true, force: true });
    return left;
  }

  /** Whether `path` is a project the app created (inside projects/). */
  manages(path: string): boolean {
    const r = relative(this.projectsDir, resolve(path));
    return r !== '' && !r.startsWith('..') && !r.includes(sep);
  }

  /** Remembers a project opened from elsewhere, so the list offers it again. */
  remember(path: string): void {
    if (this.manages(path)) return;
    const s = this.read();
    this.write({ ...s, recent: [resolve(path), ...s.recent.filter((p) => p !== resolve(path))].slice(0, 50) });
  }

  async list(open: string | null): Promise<ProjectListEntry[]> {
    const managed = existsSync(this.projectsDir) ? readdirSync(this.projectsDir).map((n) => join(this.projectsDir, n)) : [];
    const out: ProjectListEntry[] = [];
    for (const path of [...managed, ...this.read().recent]) {
      if (!isProject(path)) continue;
      try {
        const m = await readManifest(path);
        out.push({ path, name: m.name, createdAt: m.createdAt, managed: this.manages(path), open: open === path });
      } catch {
        // a project that cannot be read is left out of the list (opening it names the problem)
      }
    }
    return out.sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  }

  /** Deletes a project the app created, or forgets one opened from elsewhere; never the open one. */
  remove(path: string, open: string | null): void {
    const p = resolve(path);
    if (p === open) throw new MmeaError('conflict', `${p} is the open project: open another one first`);
    if (this.manages(p)) {
      if (!isProject(p)) throw new MmeaError('not-found', `no project at ${p}`);
      rmSync(p, { recursive: true, force: true });
      return;
    }
    const s = this.read();
    if (!s.recent.includes(p)) throw new MmeaError('not-found', `no project at ${p} in the list`);
    this.write({ ...s, recent: s.recent.filter((x) => x !== p) });
  }
}
