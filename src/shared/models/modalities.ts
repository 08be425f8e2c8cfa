// The modalities an entity can carry, in the fusion order every model uses (renderer-safe: the
// settings form offers them). The reference codes' text modalities (rel_text, att_text: RoBERTa
// vectors) have no offline source here; `name` (character n-grams of the names) and `word` (the
// names' mean word vectors) are ours, fused like text modalities. `num`, the numeric attribute values
// (MPSEA's numbers modality), comes last: no reference code but MPSEA's fuses numbers, so no model's
// default has it; the models with generic encoders take it with `--modalities …,num`.
export const MODALITY_ORDER = ['gph', 'img', 'rel', 'att', 'name', 'word', 'num'] as const;
export type Modality = (typeof MODALITY_ORDER)[number];
