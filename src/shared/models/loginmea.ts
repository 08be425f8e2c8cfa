// LoginMEA's options (methods.md §4, models.md; defaults are its run_mmkb.sh, the paper's values one
// option away: --lr 0.005, --epochs 600).
import { z } from 'zod';
import { batchSizeOption, commonOptions, ilStartOption, modalitiesOption } from './common';

export const loginmeaOptions = commonOptions.extend({
  batchSize: batchSizeOption(3500),
  ilStart: ilStartOption(50),
  modalities: modalitiesOption(['gph', 'img', 'rel', 'att']),
  hidden: z.number().int().min(1).max(4096).default(300).describe('width of the entity and relation tables, the modality encoders and the RREA layers'),
  gnnLayers: z.number().int().min(1).max(8).default(2).describe('RREA layers of the structure and of the joint encoder'),
  rank: z.number().int().min(1).max(64).default(8).describe('rank of the adaptive low-rank multimodal fusion'),
  tau: z.number().positive().default(0.1).describe('temperature of the one-directional InfoNCE loss'),
  recreateOptimizer: z.boolean().default(true).describe("the reference's quirk: from il-start on, AdamW is re-created at lr/5 every epoch, iterative or not (methods.md §0.7)"),
  // the paper's ablations (Table 3, §5.4) as switches; the defaults are LoginMEA itself
  fusion: z.enum(['lmf', 'sum', 'concat']).default('lmf').describe('joint input: lmf (low-rank fusion) | sum (w/o low-rank: the attention-weighted sum) | concat (Linear over the concatenation)'),
  adaptiveWeights: z.boolean().default(true).describe('per-entity modality attention in the fusion (off: every weight 1)'),
  graphLayer: z.enum(['rrea', 'gat']).default('rrea').describe('graph layer of both encoders: rrea (relation reflection) | gat (the diag GAT of MCLEA and HUMEA)'),
  loss: z.enum(['infonce', 'icl']).default('infonce').describe('training loss: infonce (one direction) | icl (both directions, intra-graph negatives too)'),
  paradigm: z
    .enum(['login', 'gam', 'gum'])
    .default('login')
    .describe('login (fuse, then the graph layers) | gam (the structure as one more fused modality) | gum (graph layers on each modality, then fuse)'),
});
export type LoginmeaOptions = z.output<typeof loginmeaOptions>;
