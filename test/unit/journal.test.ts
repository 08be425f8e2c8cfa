// The verdict journal (engine/curation/journal.ts): replay, withdrawal, torn and malformed lines, and
// — the point of it — no acknowledged verdict lost when the writing process is killed (SIGKILL) at
// random moments: `mmea verdicts` (the built CLI) is fed verdicts and killed 60 times, and every
// verdict it acknowledged must be in the journal afterwards, with what was sent.
import { spawn, spawnSync } from 'node:child_process';
import { hostname } from 'node:os';
import { appendFileSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Journal, JOURNAL_FILE, keyOf, LOCK_FILE } from '../../src/engine/curation/journal';
import { NOTE_LIMIT } from '../../src/shared/verdicts';
import { importJob } from '../../src/engine/jobs/import';
import { Project } from '../../src/engine/data/project';
import { mulberry32 } from '../../src/engine/random';
import { Backend } from '../../src/main/backend';
import type { ResultOf } from '../../src/shared/contract';
import { DEMO_DATASET, ROOT, tempDir } from '../helpers';

const tmp = tempDir();
afterAll(tmp.cleanup);
let n = 0;
const fresh = () => {
  const dir = join(tmp.path, `j${n++}`);
  mkdirSync(dir);
  return dir;
};

describe('verdict journal', () => {
  it('replays what was appended: the last verdict on a key stands, clear withdraws it', () => {
    const dir = fresh();
    const { journal, warnings } = Journal.open(dir);
    expect(warnings).toEqual([]);
    journal.append({ source: 'a', target: 'x', verdict: 'reject', curator: 'ann' });
    journal.append({ source: 'a', target: 'y', verdict: 'confirm', score: 0.9, note: 'same birth date' });
    journal.append({ source: 'b', verdict: 'none' });
    journal.append({ source: 'c', target: 'z', verdict: 'confirm' });
    journal.append({ op: 'clear', source: 'c', target: 'z' });
    journal.append({ source: 'a', target: 'y', verdict: 'reject' }); // a's confirmation of y changed
    journal.append({ source: 'a', target: 'x', verdict: 'confirm' }); // and its reject of x
    journal.close();
    const again = Journal.open(dir).journal;
    expect(again.lastSeq()).toBe(7);
    expect(again.confirmed().sort()).toEqual([['a', 'x']]);
    expect(again.state().get(keyOf('b', null))?.verdict).toBe('none');
    expect(again.state().has(keyOf('c', 'z'))).toBe(false);
    expect(again.history()[1]).toMatchObject({ seq: 2, score: 0.9, note: 'same birth date', round: 0 });
    expect(again.state().get(keyOf('a', 'y'))).toMatchObject({ seq: 6, verdict: 'reject' });
    expect(again.history().map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    again.close();
  });

  it('refuses a confirm that breaks 1-to-1, naming the standing pair; with replace, withdraws it first', () => {
    const dir = fresh();
    const { journal } = Journal.open(dir);
    journal.append({ source: 'a', target: 'x', verdict: 'confirm' });
    journal.append({ source: 'b', target: 'y', verdict: 'confirm' });
    const size = readFileSync(join(dir, JOURNAL_FILE), 'utf8');
    // the source is taken, the target is taken, both are
    expect(() => journal.append({ source: 'a', target: 'z', verdict: 'confirm' })).toThrow(/a → z breaks 1-to-1 with the standing confirmation a → x; withdraw it first, or confirm with replace/);
    expect(() => journal.append({ source: 'c', target: 'x', verdict: 'confirm' })).toThrow(/standing confirmation a → x/);
    expect(() => journal.append({ source: 'a', target: 'y', verdict: 'confirm' })).toThrow(/a → x and b → y/);
    try {
      journal.append({ source: 'c', target: 'x', verdict: 'confirm' });
    } catch (e) {
      expect(e).toMatchObject({ code: 'conflict', details: { standing: [['a', 'x']] } });
    }
    expect(readFileSync(join(dir, JOURNAL_FILE), 'utf8')).toBe(size); // nothing written
    // a batch is refused whole when a later line breaks what an earlier line of it confirms
    expect(() =>
      journal.appendAll([
        { source: 'c', target: 'z', verdict: 'confirm' },
        { source: 'd', target: 'z', verdict: 'confirm' },
      ]),
    ).toThrow(/d → z .* c → z/);
    expect(readFileSync(join(dir, JOURNAL_FILE), 'utf8')).toBe(size);
    // confirming the same pair again, or a reject / clear freeing it, is no conflict
    journal.append({ source: 'a', target: 'x', verdict: 'confirm', note: 'again' });
    journal.append({ source: 'b', target: 'y', verdict: 'reject' });
    journal.append({ source: 'c', target: 'y', verdict: 'confirm' });
    // replace: the clears of the broken pairs come first, then the confirm, which is what is returned
    const e = journal.append({ source: 'a', target: 'y', verdict: 'confirm', replace: true, curator: 'ann' });
    expect(e).toMatchObject({ source: 'a', target: 'y', verdict: 'confirm' });
    expect(e).not.toHaveProperty('replace');
    expect(
      journal
        .history()
        .slice(-3)
        .map((h) => [h.op, h.source, h.target, h.note]),
    ).toEqual([
      ['clear', 'a', 'x', 'replaced by a → y'],
      ['clear', 'c', 'y', 'replaced by a → y'],
      ['set', 'a', 'y', null],
    ]);
    expect(journal.confirmed()).toEqual([['a', 'y']]);
    expect(journal.conflicts('a', 'q')).toEqual([['a', 'y']]);
    expect(() => journal.append({ source: 'a', target: 'q', verdict: 'reject', replace: true })).toThrow(/replace goes with a confirm/);
    journal.close();
    // the rule survives a reopen: the state is rebuilt with it
    const again = Journal.open(dir).journal;
    expect(() => again.append({ source: 'e', target: 'y', verdict: 'confirm' })).toThrow(/standing confirmation a → y/);
    again.close();
  });

  it('refuses a malformed verdict without writing anything', () => {
    const dir = fresh();
    const { journal } = Journal.open(dir);
    expect(() => journal.append({ source: 'a', verdict: 'confirm' })).toThrow(/confirm needs a target/);
    expect(() => journal.append({ source: 'a', target: 'x', verdict: 'none' })).toThrow(/no target/);
    expect(() => journal.append({ source: 'a', target: 'x', verdict: 'maybe' as never })).toThrow();
    expect(() => journal.append({ source: '', target: 'x', verdict: 'reject' })).toThrow();
    journal.close();
    expect(readFileSync(join(dir, JOURNAL_FILE), 'utf8')).toBe('');
  });

  it('appends many verdicts with one flush, refusing the whole batch when one is malformed', () => {
    const dir = fresh();
    const { journal } = Journal.open(dir);
    journal.append({ source: 'a', target: 'x', verdict: 'confirm' });
    expect(() =>
      journal.appendAll([
        { source: 'b', target: 'y', verdict: 'confirm' },
        { source: 'c', verdict: 'confirm' },
      ]),
    ).toThrow(/confirm needs a target/);
    expect(journal.lastSeq()).toBe(1);
    const got = journal.appendAll([
      { source: 'b', target: 'y', verdict: 'confirm', curator: 'model', justification: 'threshold' },
      { source: 'c', target: 'z', verdict: 'confirm', curator: 'model', justification: 'threshold' },
    ]);
    expect(got.map((e) => e.seq)).toEqual([2, 3]);
    journal.close();
    const again = Journal.open(dir).journal;
    expect(again.history().map((e) => [e.seq, e.source, e.justification])).toEqual([
      [1, 'a', 'manual'],
      [2, 'b', 'threshold'],
      [3, 'c', 'threshold'],
    ]);
    again.close();
  });

  it('drops a torn last line with a warning naming file and line, and appends cleanly after it', () => {
    const dir = fresh();
    const { journal } = Journal.open(dir);
    journal.append({ source: 'a', target: 'x', verdict: 'confirm' });
    journal.append({ source: 'b', target: 'y', verdict: 'confirm' });
    journal.close();
    const path = join(dir, JOURNAL_FILE);
    appendFileSync(path, '{"seq":3,"at":"2026-11-22T00:00:00.000Z","source":"c","tar');
    const { journal: j2, warnings } = Journal.open(dir);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(`${path}:3: torn last line dropped`);
    expect(j2.lastSeq()).toBe(2);
    j2.append({ source: 'c', target: 'z', verdict: 'reject' });
    j2.close();
    const lines = readFileSync(path, 'utf8').trimEnd().split('\n');
    expect(lines.map((l) => JSON.parse(l).seq)).toEqual([1, 2, 3]);
    const reopened = Journal.open(dir);
    expect(reopened.warnings).toEqual([]);
    reopened.journal.close();
  });

  it("lets one writer at a time open a journal, naming the one that holds it; takes over a dead one's lock", () => {
    const dir = fresh();
    const first = Journal.open(dir).journal;
    expect(() => Journal.open(dir)).toThrow(new RegExp(`is open in another writer \\(process ${process.pid} on .*\\): close it there`));
    try {
      Journal.open(dir);
    } catch (e) {
      expect(e).toMatchObject({ code: 'conflict' });
    }
    // a reader (an export) is never refused
    expect(Journal.read(dir).journal.history()).toHaveLength(0);
    first.close();
    const second = Journal.open(dir).journal; // released on close
    second.close();
    // a lock left by a process that no longer runs (a killed app) is taken over
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
    writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ pid: Number(dead), host: hostname(), since: '2026-01-01T00:00:00.000Z' }));
    const third = Journal.open(dir).journal;
    third.append({ source: 'a', verdict: 'none' });
    third.close();
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
  });

  it("numbers new lines after the highest sequence number, even in a hand-edited file; limits a note's size", () => {
    const dir = fresh();
    const line = (seq: number, source: string) => JSON.stringify({ seq, at: '2026-11-22T00:00:00.000Z', source, verdict: 'none' });
    writeFileSync(join(dir, JOURNAL_FILE), [line(5, 'a'), line(2, 'b')].join('\n') + '\n');
    const { journal } = Journal.open(dir);
    expect(journal.append({ source: 'c', verdict: 'none' }).seq).toBe(6);
    expect(() => journal.append({ source: 'd', verdict: 'none', note: 'x'.repeat(NOTE_LIMIT + 1) })).toThrow(/10000/);
    journal.close();
  });

  it('reads a large journal line by line, never as one string', () => {
    const dir = fresh();
    const path = join(dir, JOURNAL_FILE);
    // 3 MiB of lines (past the reader's 1 MiB chunks, with lines split across chunk edges)
    const lines = Array.from({ length: 20_000 }, (_, i) => JSON.stringify({ seq: i + 1, at: '2026-11-22T00:00:00.000Z', source: `s${i}`, verdict: 'skip', note: 'n'.repeat(100) }));
    writeFileSync(path, lines.join('\n') + '\n');
    appendFileSync(path, '{"seq":20001,"at":"x","so');
    const { journal, warnings } = Journal.open(dir);
    expect(journal.history()).toHaveLength(20_000);
    expect(journal.lastSeq()).toBe(20_000);
    expect(warnings).toEqual([`${path}:20001: torn last line dropped (25 bytes without a line end: the writer stopped inside a write)`]);
    journal.close();
  });

  it('skips a malformed line in the middle with a warning naming it, and keeps the lines after it', () => {
    const dir = fresh();
    const path = join(dir, JOURNAL_FILE);
    const ok = (seq: number, source: string) => JSON.stringify({ seq, at: '2026-11-22T00:00:00.000Z', source, target: 't', verdict: 'confirm' });
    writeFileSync(path, [ok(1, 'a'), 'not json at all', JSON.stringify({ seq: 3, at: 'x', source: 'b', verdict: 'confirm' }), ok(4, 'c')].join('\n') + '\n');
    const { journal, warnings } = Journal.open(dir);
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toMatch(new RegExp(`${JOURNAL_FILE}:2: not JSON`));
    expect(warnings[1]).toMatch(new RegExp(`${JOURNAL_FILE}:3: .*confirm needs a target`));
    expect(journal.confirmed().map(([s]) => s)).toEqual(['a', 'c']);
    expect(journal.lastSeq()).toBe(4);
    journal.close();
  });
});

describe('mmea verdicts, killed with SIGKILL while verdicts are being sent', () => {
  const CLI = join(ROOT, 'out', 'main', 'cli.js');
  let project = '';
  let left: string[] = [];
  let right: string[] = [];

  beforeAll(async () => {
    project = join(tmp.path, 'project');
    await importJob({ source: DEMO_DATASET, project }, { jobId: 'journal-test', signal: new AbortController().signal, progress: () => {} });
    const p = await Project.open(project);
    const uris = (side: 1 | 2) => p.entities(side, undefined, 0, 1000).items.map((r) => p.entity(r.id).uri);
    left = uris(1);
    right = uris(2);
  });

  it('refuses a line that breaks 1-to-1 with a message naming the standing pair; "replace": true withdraws it', async () => {
    const dir = join(tmp.path, 'project-cli');
    await importJob({ source: DEMO_DATASET, project: dir }, { jobId: 'journal-test-cli', signal: new AbortController().signal, progress: () => {} });
    const lines = [
      { source: left[0], target: right[0], verdict: 'confirm' },
      { source: left[0], target: right[1], verdict: 'confirm' },
      { source: left[1], target: right[0], verdict: 'confirm', replace: true },
    ];
    const child = spawn(process.execPath, [CLI, 'verdicts', '--project', dir, '--json'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d));
    child.stderr.on('data', (d: Buffer) => (err += d));
    child.stdin.end(lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code).toBe(1); // a line was refused
    expect(err).toContain(`stdin:2: not confirmed: ${left[0]} → ${right[1]} breaks 1-to-1 with the standing confirmation ${left[0]} → ${right[0]}`);
    const acks = out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { ack?: number; recorded?: number; confirmed?: number });
    expect(acks.slice(0, 2).map((a) => a.ack)).toEqual([1, 3]); // the replace wrote a clear (2) before its confirm (3)
    expect(acks[2]).toMatchObject({ recorded: 2, confirmed: 1 });
    const { journal } = Journal.open(dir);
    expect(journal.confirmed()).toEqual([[left[1], right[0]]]);
    journal.close();
  });

  it('refuses to be a second writer: while another process holds the journal, mmea verdicts says who and records nothing', async () => {
    const dir = join(tmp.path, 'project-two-writers');
    await importJob({ source: DEMO_DATASET, project: dir }, { jobId: 'journal-test-two', signal: new AbortController().signal, progress: () => {} });
    const app = Journal.open(dir).journal; // as the app holds it while the project is open
    try {
      app.append({ source: left[0]!, verdict: 'none' });
      const r = spawnSync(process.execPath, [CLI, 'verdicts', '--project', dir], { input: JSON.stringify({ source: left[1], verdict: 'none' }) + '\n' });
      expect(r.status).toBe(1);
      expect(r.stderr.toString()).toMatch(new RegExp(`verdicts.jsonl is open in another writer \\(process ${process.pid} on `));
      expect(r.stdout.toString()).toBe('');
      expect(readFileSync(join(dir, JOURNAL_FILE), 'utf8').trim().split('\n')).toHaveLength(1);
    } finally {
      app.close();
    }
    // and once the first writer closed it, the command records
    const ok = spawnSync(process.execPath, [CLI, 'verdicts', '--project', dir], { input: JSON.stringify({ source: left[1], verdict: 'none' }) + '\n' });
    expect(ok.status).toBe(0);
    expect(JSON.parse(ok.stdout.toString())).toEqual({ ack: 2 });
  });

  it('loses no acknowledged verdict over 60 kills at random moments', async () => {
    const rand = mulberry32(2026);
    const sent = new Map<number, { source: string; target: string; verdict: string; note: string }>(); // by the seq acknowledged
    let kills = 0;
    let before = 0;
    for (let round = 0; round < 60; round++) {
      const child = spawn(process.execPath, [CLI, 'verdicts', '--project', project, '--curator', 'kill-test'], { stdio: ['pipe', 'pipe', 'pipe'] });
      child.stdin.on('error', () => {}); // the pipe breaks when the child dies mid-write
      const pending: { source: string; target: string; verdict: string; note: string }[] = [];
      let stopped = false;
      const feed = () => {
        // keep a few verdicts in flight; each carries its own note so it can be recognised later
        while (!stopped && pending.length < 8) {
          const v = {
            source: left[Math.floor(rand() * left.length)]!,
            target: right[Math.floor(rand() * right.length)]!,
            verdict: rand() < 0.7 ? 'confirm' : 'reject',
            note: `r${round}-${pending.length}-${rand().toString(36).slice(2, 8)}`,
          };
          pending.push(v);
          // random pairs break 1-to-1: a confirm replaces what it breaks (a refused line gets no ack)
          child.stdin.write(JSON.stringify(v.verdict === 'confirm' ? { ...v, replace: true } : v) + '\n');
        }
      };
      const acks: number[] = [];
      const rl = createInterface({ input: child.stdout });
      const firstAck = new Promise<void>((resolve) => {
        rl.on('line', (line) => {
          const { ack } = JSON.parse(line) as { ack: number };
          // verdicts are acknowledged in the order they were sent
          sent.set(ack, pending.shift()!);
          acks.push(ack);
          resolve();
          feed();
        });
      });
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code, signal) => resolve(signal === 'SIGKILL' ? -9 : code)));
      feed();
      await firstAck;
      // kill at a random moment after the first acknowledgement: 0–40 ms later
      await new Promise((r) => setTimeout(r, rand() * 40));
      stopped = true;
      child.kill('SIGKILL');
      expect(await exited).toBe(-9);
      kills++;
      expect(acks.length).toBeGreaterThan(0);
      before += acks.length;
    }
    expect(kills).toBe(60);
    // reopen: every acknowledged verdict is there, with the seq it was acknowledged under
    const { journal, warnings } = Journal.open(project);
    const bySeq = new Map(journal.history().map((e) => [e.seq, e]));
    for (const [seq, v] of sent) {
      const e = bySeq.get(seq);
      expect(e, `acknowledged verdict ${seq} missing`).toBeDefined();
      expect({ source: e!.source, target: e!.target, verdict: e!.verdict, note: e!.note, curator: e!.curator }).toEqual({ ...v, curator: 'kill-test' });
    }
    expect(sent.size).toBe(before);
    // a torn line, if a kill landed inside a write, was dropped with a warning, never an error
    for (const w of warnings) expect(w).toMatch(/torn last line dropped/);
    journal.close();
    expect(statSync(join(project, JOURNAL_FILE)).size).toBeGreaterThan(0);
  });
});

describe("the contract's verdict channels (what the review screen calls)", () => {
  it('record a verdict once on disk, refuse unknown entities and malformed verdicts, list what stands', async () => {
    const home = join(tmp.path, 'home');
    mkdirSync(home);
    const noEngine = () => {
      throw new Error('no engine in this test');
    };
    const backend = new Backend({ home, resources: join(ROOT, 'resources'), spawnEngine: noEngine, mode: 'browser', version: '0' });
    const dir = join(tmp.path, 'project-b');
    try {
      expect(await backend.dispatch('verdicts:list', {})).toMatchObject({ ok: false, error: { code: 'no-project' } });
      await importJob({ source: DEMO_DATASET, project: dir }, { jobId: 'journal-test-b', signal: new AbortController().signal, progress: () => {} });
      await backend.open(dir);
      const p = await Project.open(dir);
      const a = p.entity(p.entities(1, undefined, 0, 1).items[0]!.id).uri;
      const b = p.entity(p.entities(2, undefined, 0, 1).items[0]!.id).uri;
      const ok = await backend.dispatch('verdicts:record', { source: a, target: b, verdict: 'confirm', curator: 'ann', note: 'same label' });
      expect(ok).toMatchObject({ ok: true, result: { seq: 1, source: a, target: b, verdict: 'confirm', curator: 'ann' } });
      // on disk before the answer came back
      expect(readFileSync(join(dir, JOURNAL_FILE), 'utf8')).toContain('"note":"same label"');
      expect(await backend.dispatch('verdicts:record', { source: 'http://nowhere', target: b, verdict: 'reject' })).toMatchObject({ ok: false, error: { code: 'not-found' } });
      expect(await backend.dispatch('verdicts:record', { source: a, target: 'http://nowhere', verdict: 'reject' })).toMatchObject({ ok: false, error: { code: 'not-found' } });
      expect(await backend.dispatch('verdicts:record', { source: a, verdict: 'confirm' })).toMatchObject({ ok: false, error: { code: 'invalid-args' } });
      expect(await backend.dispatch('verdicts:record', { source: a, verdict: 'none' })).toMatchObject({ ok: true, result: { seq: 2 } });
      // 1-to-1 is the backend's rule, not only the renderer's: a confirm of a's other target is refused
      const b2 = p.entity(p.entities(2, undefined, 1, 1).items[0]!.id).uri;
      const refused = await backend.dispatch('verdicts:record', { source: a, target: b2, verdict: 'confirm' });
      expect(refused).toMatchObject({ ok: false, error: { code: 'conflict', details: { standing: [[a, b]] } } });
      expect((refused as { error: { message: string } }).error.message).toContain(`standing confirmation ${a} → ${b}`);
      expect(readFileSync(join(dir, JOURNAL_FILE), 'utf8').trim().split('\n')).toHaveLength(2);
      const list = await backend.dispatch('verdicts:list', {});
      expect(list.ok).toBe(true);
      const result = (list as { result: ResultOf<'verdicts:list'> }).result;
      expect(result.verdicts.map((v) => v.verdict).sort()).toEqual(['confirm', 'none']);
      expect(result.warnings).toEqual([]);
    } finally {
      await backend.dispose();
    }
  });
});
