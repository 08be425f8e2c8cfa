// MPSEA's options (../shared/docs/models.md "MPSEA"; the paper's §4.1: a 2-layer 2-head multi-weight
// GAT, 300-d, a 5-head fusion block, AdamW lr 5e-4, 500 epochs + 500 iterative; the rest MEAformer's,
// which it derives from). No public code: every choice where the paper is silent is in the model's
// README.
import { z } from 'zod';
import { batchSizeOption, commonOptions, gatOptions, ilStartOption, modalitiesOption } from './common';

const int = () => z.number().int();

export const mpseaOptions = commonOptions.extend(gatOptions.shape).extend({
  epochs: int().nonnegative().max(100000).default(500).describe('epochs to train'),
  batchSize: batchSizeOption(3500),
  weightDecay: z.number().nonnegative().default(1e-4).describe('AdamW decoupled weight decay'),
  ilStart: ilStartOption(500),
  // the paper's five: structure, image, relations, attributes, numbers
  modalities: modalitiesOption(['gph', 'img', 'rel', 'att', 'num']),
  tokenHeads: int().min(1).max(16).default(5).describe('attention heads of the pre-synergistic fusion (must divide --hidden)'),
  intermediate: int().min(1).max(4096).default(400).describe("width of the fusion's feed-forward sublayer"),
  dropout: z.number().min(0).max(0.9).default(0.1).describe("dropout of the fusion's attention probabilities and outputs"),
  tau: z.number().positive().default(0.1).describe('temperature τ of every contrastive loss'),
  warmup: z.number().min(0).max(1).default(0.15).describe('warm-up share of the cosine learning-rate schedule'),
  clip: z.number().nonnegative().default(1).describe('gradient-norm clipping per step (0: off)'),
  // the paper's components and its Table 5–6 ablations as switches; the defaults are MPSEA itself
  multiWeight: z.boolean().default(true).describe('the multi-weight GAT (off: the plain diag GAT, "repl. GAT")'),
  mmpf: z
    .enum(['full', 'no-gph', 'no-img', 'off'])
    .default('full')
    .describe('pre-synergistic prefixes: full | no-gph | no-img (w/o MMPF-gph, -img) | off (w/o MMPF: no prefixes, the structure an ordinary token)'),
  cprl: z.enum(['literal', 'reinforce', 'off']).default('literal').describe('the reward term: literal (a = 1, on the embeddings) | reinforce (sampled, only the policy learns) | off (w/o CPRL)'),
  theta: z.number().min(-1).max(1).default(0.63).describe('CPRL similarity threshold θ'),
  alpha: z.number().nonnegative().default(0.34).describe('CPRL weight α of the mutual-information score'),
  beta: z.number().nonnegative().default(0.63).describe('CPRL penalty coefficient β (the paper: proportional to θ; here θ itself)'),
});
export type MpseaOptions = z.output<typeof mpseaOptions>;
