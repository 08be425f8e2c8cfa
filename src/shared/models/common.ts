// The training options every model shares, declared once: the CLI's flags and help, the app's
// settings form, the contract's validation and the engine's defaults are all derived from these
// schemas (docs/cli.md). `flag` meta: the CLI flag when it is not the option's kebab-case name.
import { z } from 'zod';
import { MODALITY_ORDER, type Modality } from './modalities';

const int = () => z.number().int();

/** Seed pairs per batch, with a model's default. */
export const batchSizeOption = (def: number) => int().min(2).max(100000).default(def).describe('seed pairs per batch').meta({ flag: 'bsize' });
/** The first epoch of pseudo-labelling (and of the reference's optimizer re-creation), with a model's default. */
export const ilStartOption = (def: number) => int().nonnegative().default(def).describe('first epoch of iterative pseudo-labelling');

export const commonOptions = z.object({
  seed: int().nonnegative().default(42).describe('seed of the initialisation, the batch order and the gate noise'),
  epochs: int().nonnegative().max(100000).default(1000).describe('epochs to train'),
  batchSize: batchSizeOption(512),
  lr: z.number().positive().default(5e-4).describe('AdamW learning rate'),
  weightDecay: z.number().nonnegative().default(0.01).describe('AdamW decoupled weight decay'),
  checkPoint: int().min(1).max(100000).default(10).describe('evaluate (and checkpoint) every this many epochs'),
  csls: int().nonnegative().max(100).default(3).describe('CSLS k of the evaluation (0: plain cosine)'),
  selectOn: z
    .enum(['both', 'l2r'])
    .default('both')
    .describe("the MRR that selects the epoch (and the best on test): both (the two directions' mean) | l2r (left to right alone: MSNEA's and CLAMEA's protocol)"),
  iterative: z.enum(['off', 'mnn', 'calibrated']).default('off').describe('pseudo-labels: off | mnn (mutual nearest neighbours, methods.md §0.7) | calibrated (§8)'),
  ilStart: ilStartOption(500),
  semiLearnStep: int().min(1).default(5).describe('epochs between two pseudo-label checks'),
});

/** A model's `modalities` option: those it can fuse (`allowed`), its paper's choice as default (those
 *  a dataset lacks are dropped when the model is built). */
export function modalitiesOption(defaults: readonly Modality[], allowed: readonly Modality[] = MODALITY_ORDER) {
  return z
    .array(z.enum(allowed as [Modality, ...Modality[]]))
    .min(1)
    .default([...defaults])
    .describe(`modalities to fuse: ${allowed.join(',')} (those the data lacks are dropped)`);
}

/** Every modality but the numbers: what the models with a fixed slot per reference modality fuse
 *  (MCLEA's six fusion slots, MEAformer's six tokens and loss slots). */
export const REFERENCE_MODALITIES = MODALITY_ORDER.filter((m) => m !== 'num');

/** The ICL/IAL loss heads' options (methods.md §0.5), shared by the models that use those heads. */
export const headsOptions = z.object({
  tauCl: z.number().positive().default(0.1).describe('temperature τ of the contrastive losses'),
  tauAl: z.number().positive().default(4).describe('temperature τ₂ of the joint → modality distillation'),
  clLoss: z.number().nonnegative().default(1).describe('weight of the per-modality ICL group'),
  alLoss: z.number().nonnegative().default(0.1).describe('weight (and inner zoom) of the distillation group'),
});

/** The shared "diag" GAT's options (methods.md §0.4). */
export const gatOptions = z.object({
  hidden: int().min(1).max(4096).default(300).describe('width of the entity table and the GAT'),
  heads: int().min(1).max(16).default(2).describe('GAT attention heads (averaged)'),
  gatLayers: int().min(1).max(8).default(2).describe('GAT layers'),
});
