/**
 * A batch of edits to an ONNX main graph, applied in one go so every writer (fp16, int8, int4) edits the same
 * way: nodes inserted right after the producer of the tensor they read (which keeps the node list in a valid
 * execution order), nodes replaced or removed, inputs renamed per consumer, initializers added or replaced,
 * value_info retyped, and weights that the edits made unused removed (with their Constant node, graph-input
 * entry and value_info). Nodes that are not touched keep their original bytes.
 */
import { editNode, retypeValueInfo, type OnnxAttr, type OnnxModel, type OnnxNode, type OnnxTensor } from './onnx-file';
import { Names, type GraphFacts } from './graph-facts';

export class GraphRewrite {
  readonly names: Names;
  private readonly atStart: OnnxNode[] = [];
  private readonly after = new Map<number, OnnxNode[]>();
  private readonly replaced = new Map<number, OnnxNode[]>();
  private readonly renames = new Map<number, Map<number, string>>();
  private readonly outputRenames = new Map<number, Map<number, string>>();
  private readonly attrEdits = new Map<number, OnnxAttr[]>();
  private readonly newInitializers: OnnxTensor[] = [];
  private readonly replacedInitializers = new Map<string, OnnxTensor>();
  private readonly retyped = new Map<string, number>();
  /** Constants an edit stopped reading: removed at the end when nothing reads them any more. */
  private readonly maybeUnused = new Set<string>();

  constructor(
    readonly model: OnnxModel,
    readonly facts: GraphFacts,
  ) {
    this.names = new Names(new Set(facts.names));
  }

  /** Adds nodes right after the node producing `tensor` (at the start for graph inputs and initializers). */
  insertAfterProducer(tensor: string, nodes: OnnxNode[]): void {
    const p = this.facts.producer.get(tensor);
    if (p === undefined) this.atStart.push(...nodes);
    else this.after.set(p, [...(this.after.get(p) ?? []), ...nodes]);
  }

  insertAtStart(nodes: OnnxNode[]): void {
    this.atStart.push(...nodes);
  }

  /** Replaces node `index` by `nodes` (none: removes it). */
  replaceNode(index: number, nodes: OnnxNode[]): void {
    this.replaced.set(index, nodes);
  }

  isReplaced(index: number): boolean {
    return this.replaced.has(index);
  }

  /** Node `index` reads `name` at input `slot` (ignored for replaced nodes, which name their own inputs). */
  renameInput(index: number, slot: number, name: string): void {
    const m = this.renames.get(index) ?? new Map<number, string>();
    m.set(slot, name);
    this.renames.set(index, m);
  }

  /** Node `index` writes its output `slot` under another name. */
  renameOutput(index: number, slot: number, name: string): void {
    const m = this.outputRenames.get(index) ?? new Map<number, string>();
    m.set(slot, name);
    this.outputRenames.set(index, m);
  }

  /** Node `index` gets these attributes (replacing same-named ones, adding the others). */
  setAttrs(index: number, attrs: OnnxAttr[]): void {
    this.attrEdits.set(index, [...(this.attrEdits.get(index) ?? []), ...attrs]);
  }

  addInitializer(t: OnnxTensor): string {
    this.newInitializers.push(t);
    return t.name;
  }

  /** Swaps an initializer for another tensor under the same name (fp16 weights). */
  replaceInitializer(t: OnnxTensor): void {
    this.replacedInitializers.set(t.name, t);
  }

  /** A constant some node no longer reads; it is removed at the end if no node reads it any more. */
  dropIfUnused(name: string): void {
    this.maybeUnused.add(name);
  }

  /** Changes the elem_type of a tensor's value_info entries (graph inputs/outputs and value_info). */
  retype(name: string, elemType: number): void {
    this.retyped.set(name, elemType);
  }

  private edited(n: OnnxNode, i: number): OnnxNode {
    const ins = this.renames.get(i);
    const outs = this.outputRenames.get(i);
    const attrs = this.attrEdits.get(i);
    if (!ins && !outs && !attrs) return n;
    const names = new Set(attrs?.map((a) => a.name));
    return editNode(n, {
      inputs: n.inputs.map((x, slot) => ins?.get(slot) ?? x),
      outputs: n.outputs.map((x, slot) => outs?.get(slot) ?? x),
      attrs: attrs ? [...n.attrs.filter((a) => !names.has(a.name)), ...attrs] : n.attrs,
    });
  }

  /** Applies the edits to the model (in place). */
  apply(): void {
    const g = this.model.graph;
    const nodes: OnnxNode[] = [...this.atStart];
    g.nodes.forEach((n, i) => {
      const replacement = this.replaced.get(i);
      if (replacement) nodes.push(...replacement);
      else nodes.push(this.edited(n, i));
      nodes.push(...(this.after.get(i) ?? []));
    });

    const read = new Set<string>();
    for (const n of nodes) for (const x of n.inputs) read.add(x);
    for (const [name, uses] of this.facts.consumers) if (uses.some((u) => u.slot === -1)) read.add(name);
    for (const v of g.outputs) read.add(v.name);
    const drop = new Set([...this.maybeUnused].filter((name) => !read.has(name)));

    g.nodes = nodes.filter((n) => !(n.opType === 'Constant' && n.outputs.length === 1 && drop.has(n.outputs[0])));
    g.initializers = [...g.initializers.filter((t) => !drop.has(t.name)).map((t) => this.replacedInitializers.get(t.name) ?? t), ...this.newInitializers];
    g.inputs = g.inputs.filter((v) => !drop.has(v.name));
    g.valueInfo = g.valueInfo.filter((v) => !drop.has(v.name));
    const retype = <T extends { name: string; elemType: number | null; payload: Buffer }>(v: T): T => {
      const to = this.retyped.get(v.name);
      return to === undefined || v.elemType === to ? v : ({ ...v, ...retypeValueInfo(v, { elemType: to }) } as T);
    };
    g.inputs = g.inputs.map(retype);
    g.outputs = g.outputs.map(retype);
    g.valueInfo = g.valueInfo.map(retype);
  }
}
