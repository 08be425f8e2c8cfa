// HUMEA as a model of the zoo: the encoder (model.ts) under the ICL/IAL heads (models/heads/) with
// automatic loss weighting, one AdamW step per epoch, and the optional CLUB expert-disentanglement
// term (club.ts, methods.md §1.2).
import type { HumeaOptions } from '../../../shared/models/humea';
import type { Features } from '../../features/build';
import { adamwState, restoreAdamW, type AdamWState } from '../../nn/adamw';
import { HeadsModel } from '../heads/model';
import { tf } from '../../runtime/tf';
import { headsStep, type ExtraTerm } from '../heads/step';
import type { BatchPlan, ExtraState } from '../types';
import type { Modality } from '../modalities';
import { Club, clubDraw } from './club';
import { Humea, type Forward } from './model';

/** Experts i and j of a rows × experts × hidden tensor, each rows × hidden. */
function expertPair(x: tf.Tensor3D, [i, j]: [number, number]): [tf.Tensor2D, tf.Tensor2D] {
  const [P, , H] = x.shape;
  const one = (e: number) => tf.reshape(tf.slice(x, [0, e, 0], [P, 1, H]), [P, H]) as tf.Tensor2D;
  return [one(i), one(j)];
}

type ClubState = AdamWState & { step: number };

export class HumeaModel extends HeadsModel<Forward, Humea, HumeaOptions & { model: 'humea' }> {
  readonly id = 'humea' as const;
  /** CLUB's estimator nets, when miLoss > 0 and a modality has experts */
  readonly club: Club | null;

  constructor(features: Features, options: HumeaOptions & { model: 'humea' }) {
    super(new Humea(features, options), options);
    const moe = this.encoder.present.filter((m) => m !== 'gph');
    this.club = options.miLoss > 0 && moe.length > 0 ? new Club(moe, options.hidden, options.seed, this.encoder.prefix) : null;
  }

  step(plan: BatchPlan): tf.Scalar {
    return headsStep(this.encoder, this.params, this.optimizer, this.options, plan, (rows) => this.clubTerm(rows, plan.epoch));
  }

  /** CLUB's upper bound on a random pair of experts per modality (a per-step term on the step's
   *  forward), then the estimator's own step on fresh expert outputs (gate noise drawn anew). */
  private clubTerm(rows: Int32Array, e: number): ExtraTerm<Forward> | null {
    const club = this.club;
    if (!club) return null;
    const o = this.options;
    const draw = clubDraw(o.seed, e, club.modalities, o.experts, rows.length);
    const seed = o.seed * 7 + e;
    return {
      term: (g) => {
        const bounds = club.modalities.map((m) => club.upperBound(m, ...expertPair(g.experts.get(m as Modality)!, draw.pick.get(m)!), draw.perm));
        return tf.mul(tf.div(tf.addN(bounds), bounds.length), o.miLoss) as tf.Scalar;
      },
      after: () =>
        // only the MoEs are run: the structure encoder has no experts
        tf.tidy(() => {
          const experts = this.encoder.expertOutputs(rows, true, seed + 1);
          club.learn(new Map(club.modalities.map((m) => [m, expertPair(experts.get(m as Modality)!, draw.pick.get(m)!)])));
        }),
    };
  }

  async saveExtra(): Promise<ExtraState> {
    const c = this.club;
    return { club: c && { ...(await adamwState(c.params, c.optimizer)), step: c.optimizer.step } };
  }

  loadExtra(state: ExtraState, dir: string): void {
    if (!this.club) return;
    const saved = state.club as ClubState | null | undefined;
    if (!saved) throw new Error(`${dir}: the checkpoint has no CLUB estimator (it was trained without --mi-loss)`);
    restoreAdamW(dir, this.club.params, this.club.optimizer, saved);
    this.club.optimizer.step = saved.step;
  }

  override dispose(): void {
    super.dispose();
    this.club?.dispose();
  }
}
