/** The label of a latency figure (src/planner/latency-origin.ts) as a pill (measured) or muted text (an estimate). */
import { h } from './dom';
import { latencyOriginText, latencyOriginTitle, type LatencyOrigin } from '../../src/planner/latency-origin';

export function latencyOrigin(e: LatencyOrigin): HTMLElement {
  return h('span', { class: e.latencyMeasured ? 'pill good' : 'muted small', 'data-testid': 'latency-origin', title: latencyOriginTitle(e) }, latencyOriginText(e));
}
