// Every model the engine offers, with its paper and its options' schema: one entry per model (the
// engine's registry, engine/models/registry.ts, pairs each id with its implementation). The CLI's
// flags and help, `mmea models`, the contract and the app's settings form are derived from here.
import { z } from 'zod';
import { clameaOptions } from './clamea';
import { humeaOptions } from './humea';
import { loginmeaOptions } from './loginmea';
import { mcleaOptions } from './mclea';
import { meaformerOptions } from './meaformer';
import { mpseaOptions } from './mpsea';

export const MODELS = {
  humea: { title: 'HUMEA', paper: 'On Modality Weighting and Specificity for MMEA (AAAI 2026)', options: humeaOptions },
  mclea: { title: 'MCLEA', paper: 'Multi-modal Contrastive Representation Learning for Entity Alignment (COLING 2022)', options: mcleaOptions },
  loginmea: { title: 'LoginMEA', paper: 'LoginMEA: Local-to-Global Interaction Network for Multi-modal Entity Alignment (ECAI 2024)', options: loginmeaOptions },
  meaformer: { title: 'MEAformer', paper: 'MEAformer: Multi-modal Entity Alignment Transformer for Meta Modality Hybrid (ACM MM 2023)', options: meaformerOptions },
  mpsea: { title: 'MPSEA', paper: 'Multi-modal Pre-synergistic Entity Alignment based on Cross-modal Mutual Information Strategy Optimization (CMC 2025)', options: mpseaOptions },
  clamea: { title: 'CLAMEA', paper: 'Capturing Latent Modal Association For Multimodal Entity Alignment (Findings of EMNLP 2025)', options: clameaOptions },
} as const;

export type ModelId = keyof typeof MODELS;
export const MODEL_IDS = Object.keys(MODELS) as ModelId[];
/** The model of a run that names none (runs and checkpoints from before the zoo were HUMEA's). */
export const DEFAULT_MODEL: ModelId = 'humea';

/** A model id and its complete options (defaults filled in): what a run trains with. */
export type OptionsOf<I extends ModelId> = z.output<(typeof MODELS)[I]['options']> & { model: I };
export type ModelOptions = { [I in ModelId]: OptionsOf<I> }[ModelId];

// the unions over every entry of MODELS (built from the table, so a new model is one entry there)
type Tagged = z.ZodObject<z.ZodRawShape & { model: z.ZodLiteral<string> }>;
const union = (f: (id: ModelId) => Tagged) => z.discriminatedUnion('model', MODEL_IDS.map(f) as [Tagged, ...Tagged[]]);

export const modelOptions = union((id) => MODELS[id].options.extend({ model: z.literal(id) })) as unknown as z.ZodType<ModelOptions>;

/** Options as a caller gives them (the app, a plan): a model id (HUMEA when absent) and any of its
 *  options; the rest take the model's defaults (optionsOf). An option of another model is an error. */
export const modelOptionsInput = z.preprocess(
  (o) => (o && typeof o === 'object' && !('model' in o) ? { ...o, model: DEFAULT_MODEL } : o),
  union((id) =>
    MODELS[id].options
      .partial()
      .strict()
      .extend({ model: z.literal(id) }),
  ),
) as unknown as z.ZodType<ModelOptionsInput, unknown>;
/** Options as given: a model id (HUMEA when absent) and some of that model's options. */
export type ModelOptionsInput = { [I in ModelId]: Partial<z.input<(typeof MODELS)[I]['options']>> & { model?: I } }[ModelId];

/** The complete options of `input` (a model id and some options): the model's defaults under them. */
export function optionsOf(input: { model?: string } & Record<string, unknown> = {}): ModelOptions {
  return modelOptions.parse({ ...input, model: input.model ?? DEFAULT_MODEL });
}
