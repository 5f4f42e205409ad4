/**
 * Reading a MIL operation node: its inputs are kept in file order with the parameter each binds
 * (attrs.inputParams), and small constant parameters are resolved into attrs by parameter name.
 */
import type { GraphNode } from '../graph';

/** The names bound to parameter `param` (several for variadic parameters such as concat's `values`). */
export function milInputs(node: GraphNode, param: string): string[] {
  const params = node.attrs.inputParams;
  if (!Array.isArray(params)) return [];
  const out: string[] = [];
  (params as string[]).forEach((p, i) => {
    if (p === param && node.inputs[i]) out.push(node.inputs[i]);
  });
  return out;
}

/** The one name bound to `param`, if any. */
export function milInput(node: GraphNode, param: string): string | undefined {
  return milInputs(node, param)[0];
}

/** A small constant numeric parameter (resolved at read time), if known. */
export function milInts(node: GraphNode, param: string): number[] | undefined {
  const v = node.attrs[param];
  return Array.isArray(v) && v.every((x) => typeof x === 'number') ? (v as number[]) : undefined;
}

export function milInt(node: GraphNode, param: string, def: number): number {
  return milInts(node, param)?.[0] ?? def;
}

/** A small constant string parameter (pad_type, mode ...), if known. */
export function milString(node: GraphNode, param: string): string | undefined {
  const v = node.attrs[param];
  return Array.isArray(v) && typeof v[0] === 'string' ? (v[0] as string) : undefined;
}
