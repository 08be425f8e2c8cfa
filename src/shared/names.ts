// Whether a project's entities can be named from their URIs, for the app's default: names help a
// curator (and the name anchors) wherever the data has them, while the CLI's benchmark runs keep
// the papers' setting (no names) unless asked.
import type { GraphSummary } from './types';

/** The graphs whose entities without a name mostly carry one in their URI (at least half of them). */
export function graphsNamedByUris(graphs: readonly GraphSummary[]): GraphSummary[] {
  return graphs.filter((g) => g.uriNames > 0 && g.uriNames >= 0.5 * (g.entities - g.named));
}
