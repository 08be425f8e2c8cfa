// What keeps a Cytoscape neighbourhood readable, for both drawings (the graph browser and the review's
// pair of neighbourhoods): a node cap (the entity, its aligned neighbours, then the nearest), labels
// cut with an ellipsis and counted in the layout so none overlaps, and for dense drawings the
// relation labels shown only where the pointer is.
import type { Core, StylesheetJson } from 'cytoscape';
import type { Neighbourhood } from '../../../shared/types';

/** nodes a side shown at first; "show more" adds as many again */
export const NODE_CAP = 16;
/** above this many edges, relation labels show on hover only */
export const QUIET_EDGES = 14;

/** The neighbourhood cut to `cap` nodes: the entity, the aligned neighbours, then by hop. */
export function capNeighbourhood(n: Neighbourhood, cap: number, aligned: (id: number) => boolean = () => false): Neighbourhood {
  if (n.nodes.length <= cap) return n;
  const rank = (v: Neighbourhood['nodes'][number]) => (v.id === n.center ? 0 : aligned(v.id) || v.seedCounterpart !== null ? 1 : 1 + v.hop);
  const kept = new Set(
    [...n.nodes]
      .sort((a, b) => rank(a) - rank(b))
      .slice(0, cap)
      .map((v) => v.id),
  );
  return { ...n, nodes: n.nodes.filter((v) => kept.has(v.id)), edges: n.edges.filter((e) => kept.has(e.source) && kept.has(e.target)) };
}

/** The node style both drawings start from (labels ellipsised on a light background); put first. */
export const READABLE_NODES: StylesheetJson = [
  {
    selector: 'node',
    style: {
      label: 'data(label)',
      'font-size': 9,
      'text-valign': 'bottom',
      'text-margin-y': 2,
      'text-wrap': 'ellipsis',
      'text-max-width': '90px',
      width: 12,
      height: 12,
      'background-color': '#8aa4c8',
      color: '#223',
      'text-background-color': '#fcfcfd',
      'text-background-opacity': 0.8,
    },
  },
];

/** The quiet edges' styles; put after the drawing's own edge styles, which they override. */
export const QUIET_EDGE_STYLES: StylesheetJson = [
  { selector: 'edge.quiet', style: { label: '' } },
  {
    selector: 'edge.quiet.hover',
    style: { label: 'data(label)', 'font-size': 8, color: '#334', 'line-color': '#7a8798', 'text-background-color': '#fff', 'text-background-opacity': 0.9, 'z-index': 10 },
  },
];

/** The concentric layout options with room for the labels. */
export const READABLE_LAYOUT = {
  name: 'concentric',
  concentric: (node: { data(k: string): unknown }) => 10 - Number(node.data('hop')),
  levelWidth: () => 1,
  minNodeSpacing: 6,
  avoidOverlap: true,
  nodeDimensionsIncludeLabels: true,
  animate: false,
} as const;

/** Dense drawings: edge labels hidden but where the pointer is (on the edge, or on one of its nodes). */
export function quietEdges(cy: Core, selector = 'edge'): void {
  const edges = cy.edges(selector);
  edges.toggleClass('quiet', edges.length > QUIET_EDGES);
}
export function hoverLabels(cy: Core): void {
  cy.on('mouseover', 'edge', (e) => e.target.addClass('hover'));
  cy.on('mouseout', 'edge', (e) => e.target.removeClass('hover'));
  cy.on('mouseover', 'node', (e) => e.target.connectedEdges().addClass('hover'));
  cy.on('mouseout', 'node', (e) => e.target.connectedEdges().removeClass('hover'));
}
