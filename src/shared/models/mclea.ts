// MCLEA's options (methods.md §3; defaults are the reference's run_mmkb.sh).
import { z } from 'zod';
import { commonOptions, gatOptions, headsOptions, modalitiesOption, REFERENCE_MODALITIES } from './common';

export const mcleaOptions = commonOptions
  .extend(gatOptions.shape)
  .extend(headsOptions.shape)
  .extend({
    // run_mmkb.sh passes --w_name --w_char, store_false flags: names and characters are off
    modalities: modalitiesOption(['gph', 'img', 'rel', 'att'], REFERENCE_MODALITIES),
    projection: z.number().int().min(1).max(4096).default(100).describe('output width of the Linear encoder of each feature modality'),
    recreateOptimizer: z.boolean().default(true).describe("the reference's quirk: from il-start on, AdamW is re-created at lr/5 every epoch, iterative or not (methods.md §0.7)"),
  });
export type McleaOptions = z.output<typeof mcleaOptions>;
