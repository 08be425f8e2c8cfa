// HUMEA's options (methods.md §1; defaults are the reference's run.sh).
import { z } from 'zod';
import { commonOptions, gatOptions, headsOptions, modalitiesOption, REFERENCE_MODALITIES } from './common';

export const humeaOptions = commonOptions
  .extend(gatOptions.shape)
  .extend(headsOptions.shape)
  .extend({
    // every modality the reference has (its defaults), numbers when asked for
    modalities: modalitiesOption(REFERENCE_MODALITIES),
    experts: z.number().int().min(1).max(64).default(5).describe('experts per modality mixture (n_exp)'),
    topk: z.number().int().min(1).max(64).default(5).describe('modality combinations the router keeps'),
    fusionWeightDim: z.number().int().nonnegative().max(4096).default(0).describe('0: free combination logits; d > 0: Linear(d → combos) of a learned query'),
    without: z.array(z.number().int().min(1).max(8)).default([]).describe('reference ablations: 1 img, 2 gph, 3 rel, 4 rel_text, 5 att, 6 att_text, 7 no unimodal ICL, 8 no unimodal distillation'),
    curriculum: z.boolean().default(false).describe("the reference's batch grouping in epochs 0-249 (methods.md §1.4)"),
    miLoss: z.number().nonnegative().default(0).describe('weight of the CLUB expert-disentanglement term (code version: 1e-4)'),
  });
export type HumeaOptions = z.output<typeof humeaOptions>;
