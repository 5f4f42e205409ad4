/**
 * Who produces and who reads each tensor of an ONNX main graph, which tensors are constants (initializers
 * and Constant nodes), and which main-graph tensors subgraphs (If / Loop / Scan bodies) read from the outer
 * scope — the facts every rewrite needs to change a tensor without breaking a reader. Also unique names for
 * what a rewrite adds, and the layer name the analyzer uses for a node.
 */
import { BufferSource, ProtoReader } from '../../analyzers/io/protobuf';
import { getAttr, type OnnxModel, type OnnxNode, type OnnxTensor } from './onnx-file';

export interface Use {
  node: number;
  /** Input slot, or -1 for a read from inside one of the node's subgraphs. */
  slot: number;
}

export interface GraphFacts {
  producer: Map<string, number>;
  consumers: Map<string, Use[]>;
  initializers: Map<string, OnnxTensor>;
  /** Output name → index of a Constant node holding a `value` tensor. */
  constantNodes: Map<string, number>;
  graphInputs: Set<string>;
  graphOutputs: Set<string>;
  /** Every name the graph defines or uses (for making new unique names). */
  names: Set<string>;
}

/** Names a GraphProto (given as bytes) reads but does not define itself, looking into nested subgraphs too. */
export function outerScopeReads(graph: Buffer): string[] {
  const r = new ProtoReader(new BufferSource('subgraph', graph));
  const defined = new Set<string>();
  const used = new Set<string>();
  const walk = (m: ReturnType<ProtoReader['root']>): void => {
    for (const f of r.fields(m, 'subgraph')) {
      if (f.field === 1) {
        for (const nf of r.fields(r.message(f, 'node', m), 'node')) {
          if (nf.field === 1) used.add(r.string(nf, 'input'));
          else if (nf.field === 2) defined.add(r.string(nf, 'output'));
          else if (nf.field === 5) {
            for (const af of r.fields(r.message(nf, 'attribute', m), 'attribute')) {
              if (af.field === 6 || af.field === 11) walk(r.message(af, 'subgraph', m));
            }
          }
        }
      } else if (f.field === 5 || f.field === 11) {
        for (const vf of r.fields(r.message(f, 'value', m), 'value')) if (vf.field === (f.field === 5 ? 8 : 1)) defined.add(r.string(vf, 'name'));
      } else if (f.field === 12) {
        for (const vf of r.fields(r.message(f, 'output', m), 'output')) if (vf.field === 1) used.add(r.string(vf, 'name'));
      }
    }
  };
  walk(r.root());
  return [...used].filter((n) => n && !defined.has(n));
}

export function graphFacts(m: OnnxModel): GraphFacts {
  const g = m.graph;
  const facts: GraphFacts = {
    producer: new Map(),
    consumers: new Map(),
    initializers: new Map(g.initializers.map((t) => [t.name, t])),
    constantNodes: new Map(),
    graphInputs: new Set(g.inputs.map((v) => v.name)),
    graphOutputs: new Set(g.outputs.map((v) => v.name)),
    names: new Set([...g.initializers.map((t) => t.name), ...g.inputs.map((v) => v.name), ...g.outputs.map((v) => v.name), ...g.valueInfo.map((v) => v.name)]),
  };
  const use = (name: string, u: Use): void => {
    if (!name) return;
    const list = facts.consumers.get(name) ?? [];
    list.push(u);
    facts.consumers.set(name, list);
  };
  g.nodes.forEach((n, i) => {
    n.inputs.forEach((name, slot) => use(name, { node: i, slot }));
    for (const a of n.attrs) for (const sub of a.graphs) for (const name of outerScopeReads(sub)) use(name, { node: i, slot: -1 });
    for (const o of n.outputs) if (o) facts.producer.set(o, i);
    for (const name of [...n.inputs, ...n.outputs, n.name]) if (name) facts.names.add(name);
    if (n.opType === 'Constant' && (n.domain === '' || n.domain === 'ai.onnx') && getAttr(n, 'value')?.t) facts.constantNodes.set(n.outputs[0], i);
  });
  return facts;
}

/**
 * The stored tensor behind a constant input: an initializer or a Constant node. An initializer also listed as a
 * graph input (old exporters list every weight as one) counts as a constant: nobody feeds weights at run time.
 */
export function constantTensor(m: OnnxModel, facts: GraphFacts, name: string): OnnxTensor | undefined {
  const init = facts.initializers.get(name);
  if (init) return init;
  const ci = facts.constantNodes.get(name);
  return ci === undefined ? undefined : getAttr(m.graph.nodes[ci], 'value')!.t;
}

/** The layer name the analyzer shows for the node at `index` (its name, or op_type_index when unnamed). */
export function layerName(n: OnnxNode, index: number): string {
  return n.name || `${n.opType}_${index}`;
}

/** Hands out names that are not used in the graph yet. */
export class Names {
  constructor(private readonly taken: Set<string>) {}
  make(base: string): string {
    let name = base;
    for (let i = 1; this.taken.has(name); i++) name = `${base}_${i}`;
    this.taken.add(name);
    return name;
  }
}
