/**
 * The Keras layer config behind each graph node (its class, its config, a wrapper's inner layer), kept beside
 * the graph for shape inference and costs. Keyed by the node objects of the graph the reader returned, so it
 * disappears with it.
 */
import type { GraphNode } from '../graph';
import type { KerasLayer } from './config';

const LAYERS = new WeakMap<GraphNode, KerasLayer>();

export function kerasLayers(): WeakMap<GraphNode, KerasLayer> {
  return LAYERS;
}
