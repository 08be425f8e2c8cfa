// CLAMEA's encoder (Findings of EMNLP 2025; models.md "CLAMEA"; choices in README.md): per entity,
// its modalities r (a TransE table: our gph), a (the attribute sentence's character n-grams through a
// Linear map: appendix B.3 with hashed n-grams instead of BERT) and v (a Linear map of the image
// vector), each through MFE; DMAFF fuses (a, r) and (v, r); DMMG's VAEs generate the attribute (image)
// embedding of entities without one; CMAE mixes each modality with the others; the final embedding is
// the concatenation of CMAE's outputs. Everything past the inputs is row-wise, so a step runs on its
// batch's rows only and an evaluation in chunks of rows.
import type { ClameaOptions } from '../../../shared/models/clamea';
import type { Features } from '../../features/build';
import type { Csr } from '../../features/sparse';
import { detach, l2normalize, takeRows } from '../../nn/ops';
import { linear, type Linear } from '../../nn/tokens';
import { mulberry32, permutation } from '../../random';
import { tf } from '../../runtime/tf';
import { torchLinear } from '../encoders';
import { modalityInput, presentModalities, rowsTimes, type Modality, type ModalityInput } from '../modalities';
import { cmae, cmaeParams, type CmaeTarget } from './cmae';
import { dmaff, dmaffParams, type DmaffParams } from './dmaff';
import { klDivergence, maskedMse, maskedSquaredError, vae, vaeParams, type VaeOutput, type VaeParams } from './dmmg';
import { triplesOf, type Triples } from './transe';

/** The modalities a VAE models: the unimodal ones and the DMAFF fusions of img and att with gph. */
type Latent = Modality | 'img+gph' | 'att+gph';
/** Modalities DMMG generates when missing, and the latents it generates each from (eqs. 18–19). */
const GENERATE: Partial<Record<Modality, Latent[]>> = { att: ['img+gph', 'gph'], img: ['att+gph', 'gph'] };

export interface ClameaForward {
  /** each present modality's embedding as CMAE takes it (MFE's output; generated where missing) */
  h: tf.Tensor2D[];
  /** CMAE's outputs (h when CMAE is off), in `present` order */
  hat: tf.Tensor2D[];
  joint: tf.Tensor2D;
  /** rows × 2: each entity's DMAFF weights of attributes and structure (null without that fusion) */
  weights: tf.Tensor2D | null;
  vae: tf.Scalar;
  latentMatch: tf.Scalar;
  orthogonality: tf.Scalar;
}

let instances = 0;

export class Clamea {
  readonly present: Modality[];
  readonly params = new Map<string, tf.Variable>();
  readonly prefix = `clamea${instances++}`;
  readonly triples: Triples;
  private readonly inputs = new Map<Modality, ModalityInput>();
  private readonly encoders = new Map<Modality, Linear>();
  private readonly mfe = new Map<Modality, { value: Linear; output: Linear }>();
  private readonly fusions = new Map<Modality, DmaffParams>();
  private readonly vaes = new Map<Latent, VaeParams>();
  private readonly cmaeParams: CmaeTarget[] | null = null;
  /** per row, 1 where the entity lacks the modality (attributes: after --drop-attributes) */
  readonly missing = new Map<Modality, Uint8Array>();

  constructor(
    readonly features: Features,
    readonly config: ClameaOptions,
  ) {
    this.present = presentModalities(features, config.modalities);
    const d = config.dim;
    for (const h of [config.heads, config.weightHeads]) if (d % h !== 0) throw new Error(`--dim ${d} is not a multiple of ${h} attention heads`);
    const rand = mulberry32(config.seed);
    const draw = () => Math.floor(rand() * 2 ** 31);
    const add = (name: string, t: tf.Tensor) => {
      const v = tf.variable(t, true, `${this.prefix}.${name}`);
      t.dispose();
      this.params.set(name, v);
      return v;
    };
    this.triples = triplesOf(features, features.split.train);
    for (const m of this.present) {
      if (m === 'gph') {
        // TransE's tables, Xavier-normal as MSNEA's (std √(2 / (rows + d)))
        const xavier = (rows: number) => tf.randomNormal([rows, d], 0, Math.sqrt(2 / (rows + d)), 'float32', draw());
        add('transe.entities', xavier(features.rows));
        add('transe.relations', xavier(Math.max(1, this.triples.relations)));
        continue;
      }
      const input = m === 'att' ? { kind: 'sparse' as const, csr: this.attributeInput(features) } : modalityInput(features, m as 'img');
      this.inputs.set(m, input);
      const dims = input.kind === 'sparse' ? input.csr.cols : input.dims;
      this.encoders.set(m, torchLinear(add, `${m}.encoder`, dims, d, draw));
    }
    this.missing.set(
      'img',
      Uint8Array.from(features.coverage.images, (c) => 1 - c),
    );
    if (config.mfe === 'seq1') for (const m of this.present) this.mfe.set(m, { value: torchLinear(add, `mfe.${m}.value`, d, d, draw), output: torchLinear(add, `mfe.${m}.output`, d, d, draw) });
    if (config.dmaff && this.present.includes('gph')) for (const m of this.present) if (m !== 'gph') this.fusions.set(m, dmaffParams(add, `dmaff.${m}`, d, draw));
    if (config.dmmg) {
      for (const x of this.latents()) this.vaes.set(x, vaeParams(add, `vae.${x}`, d, config.latent, draw));
      for (const m of this.generated()) add(`generate.${m}`, tf.zeros([this.sourcesOf(m).length]));
    }
    if (config.cmae && this.present.length > 1) this.cmaeParams = cmaeParams(add, 'cmae', this.present.length, d, draw);
  }

  /** The attribute sentences' input, with a seeded --drop-attributes share of the entities emptied,
   *  then each seed pair's two rows replaced by their sum, L2-normalised (MSNEA's kgs.py
   *  add_sup_attribute_triples gives both entities of a seed pair the union of their attributes);
   *  records which rows have no attributes. */
  private attributeInput(f: Features): Csr {
    return mergeSeedRows(this.droppedAttributes(f), f.split.train, this.missing.get('att')!);
  }

  private droppedAttributes(f: Features): Csr {
    const csr = f.attributeText;
    const missing = new Uint8Array(f.rows);
    for (let i = 0; i < f.rows; i++) missing[i] = csr.indptr[i + 1]! > csr.indptr[i]! ? 0 : 1;
    this.missing.set('att', missing);
    if (this.config.dropAttributes === 0) return csr;
    const have = Int32Array.from({ length: f.rows }, (_, i) => i).filter((i) => !missing[i]);
    // its own stream: the parameters' draws are the same with or without the drop
    const order = permutation(have.length, mulberry32(this.config.seed ^ 0x5eed));
    for (let k = 0; k < Math.round(this.config.dropAttributes * have.length); k++) missing[have[order[k]!]!] = 1;
    const indptr = new Int32Array(f.rows + 1);
    const keep: number[] = [];
    for (let i = 0; i < f.rows; i++) {
      if (!missing[i]) for (let p = csr.indptr[i]!; p < csr.indptr[i + 1]!; p++) keep.push(p);
      indptr[i + 1] = keep.length;
    }
    return { rows: f.rows, cols: csr.cols, indptr, indices: Int32Array.from(keep, (p) => csr.indices[p]!), values: Float32Array.from(keep, (p) => csr.values[p]!) };
  }

  /** Whether DMAFF fuses the attributes with the structure (then each entity has its own weights of the two). */
  get fuses(): boolean {
    return this.fusions.has('att');
  }

  /** The VAEs' targets: every present modality and every DMAFF fusion. */
  private latents(): Latent[] {
    return [...this.present, ...[...this.fusions.keys()].map((m) => `${m}+gph` as Latent)];
  }

  /** The latents a missing `m` is generated from (those that exist). */
  private sourcesOf(m: Modality): Latent[] {
    const latents = this.latents();
    return (GENERATE[m] ?? []).filter((x) => latents.includes(x));
  }

  /** The modalities DMMG fills in where missing. */
  private generated(): Modality[] {
    return this.present.filter((m) => this.sourcesOf(m).length > 0);
  }

  /** The embeddings of `rows`; `seed` null: evaluation (VAE latents at their means). */
  forward(rows: Int32Array, seed: number | null): ClameaForward {
    const o = this.config;
    const P = rows.length;
    const mask = (m: Modality, invert: boolean) => {
      const miss = this.missing.get(m);
      return tf.tensor2d(
        Float32Array.from(rows, (r) => (miss && miss[r] ? 1 : 0) ^ (invert ? 1 : 0)),
        [P, 1],
      );
    };
    // MKE and MFE
    const h = new Map<Modality, tf.Tensor2D>();
    for (const m of this.present) {
      let x: tf.Tensor2D;
      if (m === 'gph') x = takeRows(this.params.get('transe.entities')! as unknown as tf.Tensor2D, rows);
      else {
        const { W, b } = this.encoders.get(m)!;
        x = tf.add(rowsTimes(m, this.inputs.get(m)!, rows)(W, 'W'), b) as tf.Tensor2D;
      }
      const mfe = this.mfe.get(m);
      // self-attention over an entity's one vector: softmax 1, the value then the output projection
      h.set(m, mfe ? linear(linear(x, mfe.value), mfe.output) : x);
    }
    // DMAFF: the fusions of each feature modality with the structure
    const fused = new Map<Latent, tf.Tensor2D>();
    let weights: tf.Tensor2D | null = null;
    for (const [m, p] of this.fusions) {
      const out = dmaff(h.get(m)!, h.get('gph')!, p, { heads: o.weightHeads, maf: o.maf, gate: o.gate });
      fused.set(`${m}+gph` as Latent, out.fused);
      if (m === 'att') weights = out.weights;
      else out.weights.dispose();
    }
    // DMMG
    let vaeLoss: tf.Tensor = tf.scalar(0);
    let latentMatch: tf.Tensor = tf.scalar(0);
    if (this.vaes.size > 0) {
      const z = new Map<Latent, VaeOutput>();
      let k = 0;
      for (const [x, p] of this.vaes) {
        const target = detach(h.get(x as Modality) ?? fused.get(x)!);
        const out = vae(target, p, seed === null ? null : (seed + 7919 * ++k) >>> 0);
        z.set(x, out);
        const present = this.missing.has(x as Modality) ? mask(x as Modality, true) : tf.ones([P, 1]);
        vaeLoss = tf.add(vaeLoss, tf.add(maskedSquaredError(out.recon, target, present as tf.Tensor2D), klDivergence(out.mu, out.logVar)));
      }
      for (const m of this.generated()) {
        const sources = this.sourcesOf(m);
        const have = mask(m, true);
        for (const x of sources) latentMatch = tf.add(latentMatch, maskedMse(z.get(m)!.z, z.get(x)!.z, have));
        const w = tf.softmax(this.params.get(`generate.${m}`)!);
        const dec = this.vaes.get(m)!.decode;
        const g = sources.map((x, s) => tf.mul(linear(z.get(x)!.z, dec), tf.slice(w, s, 1))).reduce((a, b) => tf.add(a, b)) as tf.Tensor2D;
        const miss = mask(m, false);
        h.set(m, tf.add(tf.mul(h.get(m)!, tf.sub(1, miss)), tf.mul(g, miss)) as tf.Tensor2D);
      }
    }
    // CMAE and the final embedding
    const hs = this.present.map((m) => h.get(m)!);
    const { hat, orthogonality } = this.cmaeParams ? cmae(hs, this.cmaeParams) : { hat: hs, orthogonality: tf.scalar(0) as tf.Scalar };
    // each modality unit-length before the concatenation, as MSNEA’s fusion normalises its parts
    const joint =
      hat.length === 1
        ? l2normalize(hat[0]!)
        : (tf.concat(
            hat.map((x) => l2normalize(x)),
            1,
          ) as tf.Tensor2D);
    return { h: hs, hat, joint, weights, vae: vaeLoss as tf.Scalar, latentMatch: latentMatch as tf.Scalar, orthogonality };
  }

  dispose(): void {
    for (const v of this.params.values()) v.dispose();
  }
}

/** `csr` with the rows of each seed pair (flat row pairs) replaced by their sum, L2-normalised; a pair
 *  where one side had rows makes the other no longer `missing`. */
export function mergeSeedRows(csr: Csr, seeds: Int32Array, missing: Uint8Array): Csr {
  const merged = new Map<number, Map<number, number>>();
  for (let k = 0; k < seeds.length; k += 2) {
    const sum = new Map<number, number>();
    for (const r of [seeds[k]!, seeds[k + 1]!]) for (let p = csr.indptr[r]!; p < csr.indptr[r + 1]!; p++) sum.set(csr.indices[p]!, (sum.get(csr.indices[p]!) ?? 0) + csr.values[p]!);
    const norm = Math.sqrt([...sum.values()].reduce((s, x) => s + x * x, 0));
    if (norm === 0) continue;
    for (const [c, x] of sum) sum.set(c, x / norm);
    for (const r of [seeds[k]!, seeds[k + 1]!]) {
      merged.set(r, sum);
      missing[r] = 0;
    }
  }
  const indptr = new Int32Array(csr.rows + 1);
  const indices: number[] = [];
  const values: number[] = [];
  for (let i = 0; i < csr.rows; i++) {
    const m = merged.get(i);
    const entries = m
      ? [...m].sort((a, b) => a[0] - b[0])
      : Array.from({ length: csr.indptr[i + 1]! - csr.indptr[i]! }, (_, k) => [csr.indices[csr.indptr[i]! + k]!, csr.values[csr.indptr[i]! + k]!] as const);
    for (const [c, x] of entries) {
      indices.push(c);
      values.push(x);
    }
    indptr[i + 1] = indices.length;
  }
  return { rows: csr.rows, cols: csr.cols, indptr, indices: Int32Array.from(indices), values: Float32Array.from(values) };
}
