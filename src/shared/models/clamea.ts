// CLAMEA's options (../shared/docs/models.md "CLAMEA"; the paper's appendix F, which are MSNEA's
// config: every embedding 100-d, 2 attention heads, 5 for the fusion weights, a 64-d VAE latent,
// TransE margin 1, contrastive margin 2, Adam lr 1e-3, batch 5000, α = β = 0.01). No public code:
// every choice where the paper is silent is in the model's README.
import { z } from 'zod';
import { batchSizeOption, commonOptions, ilStartOption, modalitiesOption } from './common';

const int = () => z.number().int();

export const clameaOptions = commonOptions.extend({
  epochs: int().nonnegative().max(100000).default(500).describe('epochs to train'),
  batchSize: batchSizeOption(5000),
  lr: z.number().positive().default(1e-3).describe('Adam learning rate'),
  weightDecay: z.number().nonnegative().default(0).describe('decoupled weight decay (the paper: Adam, none)'),
  ilStart: ilStartOption(250),
  // r: the TransE structure (our gph), v: images, a: the attribute sentences
  modalities: modalitiesOption(['gph', 'img', 'att'], ['gph', 'img', 'att']),
  dim: int().min(2).max(1024).default(100).describe('width of every modality embedding'),
  latent: int().min(1).max(1024).default(64).describe('width of the VAE latents'),
  heads: int().min(1).max(16).default(2).describe('attention heads of MFE and CMAE (must divide --dim)'),
  weightHeads: int().min(1).max(16).default(5).describe('attention heads of the fusion-weight attention (must divide --dim)'),
  transeMargin: z.number().positive().default(1).describe('TransE margin γ'),
  transeBatch: int().min(1).max(1000000).default(5000).describe('relation triples per step (one corrupted triple each)'),
  clMargin: z.number().positive().default(2).describe('margin γ_cl of the contrastive loss'),
  alpha: z.number().nonnegative().default(0.01).describe('weight α of the latent matching loss L_m'),
  beta: z.number().nonnegative().default(0.01).describe('weight β of the orthogonality loss L_s'),
  // the paper's components and its Table 2 ablations as switches; the defaults are CLAMEA itself
  mfe: z.enum(['seq1', 'off']).default('seq1').describe('modal feature enhancement: seq1 (self-attention over each entity’s one vector: a learned map) | off (w/o MFE)'),
  dmaff: z.boolean().default(true).describe('dynamic modal attention flow fusion (off: w/o DMAFF, no fused modalities)'),
  maf: z.boolean().default(true).describe('the attention flows inside DMAFF (off: w/o MAF, the weighted sum of the unimodal embeddings)'),
  gate: z.boolean().default(true).describe('DMAFF’s cross-modal gate on queries and keys (off: w/o gate)'),
  dmmg: z.boolean().default(true).describe('VAEs generating a missing modality from the others (off: w/o DMMG)'),
  cmae: z.boolean().default(true).describe('cross-modal association extraction (off: w/o CMAE)'),
  dropAttributes: z.number().min(0).max(1).default(0).describe('fraction of entities whose attribute modality is removed (seeded by --seed): the missing-modality experiment'),
});
export type ClameaOptions = z.output<typeof clameaOptions>;
