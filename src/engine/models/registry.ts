// Every model's implementation by id (their options and papers: shared/models/index.ts). Adding a
// model: its folder under models/, its options schema in shared/models/, one line here.
import type { ModelId, ModelOptions, OptionsOf } from '../../shared/models';
import type { Features } from '../features/build';
import { ClameaModel } from './clamea';
import { HumeaModel } from './humea';
import { LoginmeaModel } from './loginmea';
import { McleaModel } from './mclea';
import { MeaformerModel } from './meaformer';
import { MpseaModel } from './mpsea';
import type { AlignmentModel } from './types';

const REGISTRY: { [I in ModelId]: (f: Features, o: OptionsOf<I>) => AlignmentModel } = {
  humea: (f, o) => new HumeaModel(f, o),
  mclea: (f, o) => new McleaModel(f, o),
  loginmea: (f, o) => new LoginmeaModel(f, o),
  meaformer: (f, o) => new MeaformerModel(f, o),
  mpsea: (f, o) => new MpseaModel(f, o),
  clamea: (f, o) => new ClameaModel(f, o),
};

/** The model `options.model` names, built on `features` with those options. */
export function createModel(features: Features, options: ModelOptions): AlignmentModel {
  return (REGISTRY[options.model] as (f: Features, o: ModelOptions) => AlignmentModel)(features, options);
}
