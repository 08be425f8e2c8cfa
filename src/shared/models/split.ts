// How a run splits the known pairs, declared once for the contract and the CLI (the defaults live
// with the features, engine/features/build.ts DEFAULT_SETTINGS: absent means the dataset's own split
// files, or a 20 % seeded split, with 10 % of the training pairs held out for model selection).
import { z } from 'zod';

export const splitOptions = z.object({
  /** training fraction of a seeded split (ignores the dataset's split files) */
  rate: z.number().gt(0).lt(1).optional().describe("seeded split with this training fraction (ignores the dataset's split files)"),
  /** part of the training pairs held out for model selection */
  validFraction: z.number().min(0).lt(1).optional().describe('part of the training pairs held out for model selection (0.1)'),
});
