// MEAformer's options (methods.md §2, models.md; defaults are its run_meaformer.sh with the config's
// FB15K-DB15K overrides: no FFN, no names; `--enable_sota` sets 500 epochs and weight decay 1e-4).
import { z } from 'zod';
import { batchSizeOption, commonOptions, gatOptions, ilStartOption, modalitiesOption, REFERENCE_MODALITIES } from './common';

const int = () => z.number().int();

export const meaformerOptions = commonOptions.extend(gatOptions.shape).extend({
  epochs: int().nonnegative().max(100000).default(500).describe('epochs to train'),
  batchSize: batchSizeOption(3500),
  weightDecay: z.number().nonnegative().default(1e-4).describe('AdamW decoupled weight decay'),
  ilStart: ilStartOption(500),
  // the config turns names and characters off on FB15K-DB15K (use_surface 0)
  modalities: modalitiesOption(['gph', 'img', 'rel', 'att'], REFERENCE_MODALITIES),
  tokenHeads: int().min(1).max(16).default(1).describe('attention heads of the modality transformer (num_attention_heads; must divide --hidden)'),
  tokenLayers: int().min(1).max(4).default(1).describe('layers of the modality transformer (num_hidden_layers)'),
  ffn: z.boolean().default(false).describe("the transformer's feed-forward sublayer (use_intermediate: off on FB15K-DB15K, on in the DBP15K script)"),
  intermediate: int().min(1).max(4096).default(400).describe('width of the feed-forward sublayer (intermediate_size)'),
  dropout: z.number().min(0).max(0.9).default(0.1).describe("dropout of the transformer's attention probabilities and outputs"),
  tau: z.number().positive().default(0.1).describe('temperature τ of every contrastive loss'),
  warmup: z.number().min(0).max(1).default(0.15).describe('warm-up share of the cosine learning-rate schedule'),
  clip: z.number().nonnegative().default(1).describe('gradient-norm clipping per step (0: off)'),
  // MEAformer's ablations (paper Table 4) as switches; the defaults are MEAformer itself
  weighting: z.enum(['entity', 'global']).default('entity').describe('modality weights: entity (per-entity, from the attention) | global (one learned weight per modality)'),
  hiddenIcl: z.boolean().default(true).describe("the auxiliary ICL on the transformer's output tokens"),
});
export type MeaformerOptions = z.output<typeof meaformerOptions>;
