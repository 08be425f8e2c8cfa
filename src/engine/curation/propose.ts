// Proposals for review (`mmea propose`): the review queue (curation/queue.ts) of every KG1 entity
// outside the training pairs against the KG2 entities outside them, written as JSON lines: a header
// object, then one queue item per source entity (its top-k candidates with CSLS score, cosine and each
// modality's cosine, null where an entity lacks the modality; the margins, impact, disagreement and
// expected value), each entity named by its id, URI and label, as a curator reads it.
import { createWriteStream } from 'node:fs';
import { rename } from 'node:fs/promises';
import { once } from 'node:events';
import { buildQueue, queueEmbeddings, queueWeights } from './queue';
import { nameAnchors } from './lexical';
import type { QueueItem } from '../../shared/curation';
import type { Trainer } from '../training/trainer';

/** `nameOf`: a row's name for the name anchors (curation/lexical.ts), null where it has none;
 *  `entityOf`: an entity id's URI and label, written beside the id. */
export async function proposals(
  t: Trainer,
  k: number,
  outFile: string,
  entityOf: (id: number) => { uri: string; label: string },
  nameOf: (row: number) => string | null = () => null,
): Promise<{ queries: number; candidates: number }> {
  const f = t.features;
  const used = new Set(t.train);
  const left: number[] = [];
  const right: number[] = [];
  for (let i = 0; i < f.rows; i++) if (!used.has(i)) (i < f.rows1 ? left : right).push(i);
  // one forward for the queue and the weights in the header
  const emb = await queueEmbeddings(t);
  let items: QueueItem[];
  try {
    items = await buildQueue(t, { sources: Int32Array.from(left), targets: Int32Array.from(right), k, anchors: nameAnchors(nameOf, left, right) }, emb);
  } finally {
    emb.joint.dispose();
  }
  const scratch = `${outFile}.partial-${process.pid}`;
  const out = createWriteStream(scratch);
  const write = async (o: unknown) => {
    if (!out.write(JSON.stringify(o) + '\n')) await once(out, 'drain');
  };
  await write({
    format: 'mmea-studio-proposals',
    model: t.model.id,
    epoch: t.epoch,
    k: Math.min(k, right.length),
    csls: t.options.csls,
    modalities: t.model.present,
    weights: queueWeights(emb),
    queries: left.length,
    candidates: right.length,
  });
  for (const { source, candidates, ...rest } of items) {
    await write({ source: { id: source, ...entityOf(source) }, candidates: candidates.map(({ target, ...c }) => ({ id: target, ...entityOf(target), ...c })), ...rest });
  }
  out.end();
  await once(out, 'finish');
  await rename(scratch, outFile);
  return { queries: left.length, candidates: right.length };
}
