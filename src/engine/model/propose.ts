// Proposals for review: for every KG1 entity outside the training pairs, its top-k KG2 candidates
// (outside the training pairs too) by the joint embedding's CSLS score, with the cosine similarity
// of each modality's own embedding (the evidence the review UI shows) and the fusion weights used.
// Written as JSON lines: a header object, then one object per source entity.
import { createWriteStream } from 'node:fs';
import { rename } from 'node:fs/promises';
import { once } from 'node:events';
import { topCandidates } from './evaluate';
import { l2normalize } from './ops';
import { tf } from './tf';
import type { Trainer } from './train';

export interface ProposalLine {
  source: { row: number; id: number };
  candidates: { row: number; id: number; score: number; cosine: number; modalities: Record<string, number> }[];
}

export async function proposals(t: Trainer, k: number, outFile: string): Promise<{ queries: number; candidates: number }> {
  const f = t.features;
  const used = new Set(t.train);
  const left: number[] = [];
  const right: number[] = [];
  for (let i = 0; i < f.rows; i++) if (!used.has(i)) (i < f.rows1 ? left : right).push(i);
  // only the normalised embeddings leave the tidy (the forward's expert outputs would stay otherwise)
  const present = t.model.present;
  const [joint, ...normed] = tf.tidy(() => {
    const fw = t.model.forward(null, false);
    return [l2normalize(fw.joint), ...present.map((m) => l2normalize(fw.mods.get(m)!))];
  });
  const modData = new Map(present.map((m, k) => [m, normed[k]!.dataSync() as Float32Array] as const));
  tf.dispose(normed);
  const L = tf.gather(joint, Int32Array.from(left));
  const R = tf.gather(joint, Int32Array.from(right));
  const top = topCandidates(L, R, k, { csls: t.options.csls });
  tf.dispose([L, R, joint]);
  const K = top.index.length / Math.max(left.length, 1);
  const cos = (m: Float32Array, a: number, b: number, H: number) => {
    let s = 0;
    for (let d = 0; d < H; d++) s += m[a * H + d]! * m[b * H + d]!;
    return Math.round(s * 1e4) / 1e4;
  };
  const scratch = `${outFile}.partial-${process.pid}`;
  const out = createWriteStream(scratch);
  const write = async (o: unknown) => {
    if (!out.write(JSON.stringify(o) + '\n')) await once(out, 'drain');
  };
  await write({ format: 'mmea-studio-proposals', epoch: t.epoch, k: K, csls: t.options.csls, modalities: t.model.present, weights: t.modalityWeights(), queries: left.length, candidates: right.length });
  for (let q = 0; q < left.length; q++) {
    const src = left[q]!;
    const line: ProposalLine = { source: { row: src, id: f.rowIds[src]! }, candidates: [] };
    for (let p = 0; p < K; p++) {
      const dst = right[top.index[q * K + p]!]!;
      const modalities: Record<string, number> = {};
      for (const [m, d] of modData) modalities[m] = cos(d, src, dst, d.length / f.rows);
      line.candidates.push({ row: dst, id: f.rowIds[dst]!, score: Math.round(top.score[q * K + p]! * 1e4) / 1e4, cosine: Math.round(top.cosine[q * K + p]! * 1e4) / 1e4, modalities });
    }
    await write(line);
  }
  out.end();
  await once(out, 'finish');
  await rename(scratch, outFile);
  return { queries: left.length, candidates: right.length };
}
