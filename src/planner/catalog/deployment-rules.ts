/**
 * deployment-rules.json: what each toolchain folds and fuses before a model runs (read by
 * estimate/deployed-graph.ts). Validated at load by the data-file checker (check.ts); a broken file throws a
 * DataFileError naming the field.
 * No `vscode` import.
 */
import rulesJson from './deployment-rules.json';
import { Check, type Json, type JsonObject } from './check';

export interface CommonRule {
  rule: 'fold-constants' | 'remove-identity' | 'fold-batchnorm' | 'absorb-qdq';
  description: string;
  /** For fold-batchnorm: the canonical ops a BatchNormalization folds into. */
  into?: string[];
  source: string;
  url: string;
  quote?: string;
}

export interface FusionRule {
  rule: 'fuse-activation' | 'fuse-bias-add' | 'fuse-silu' | 'merge-silu' | 'gather-as-slice' | 'elide-concat' | 'elide-slice';
  description: string;
  /** Canonical ops that absorb the fused op. */
  producers: string[];
  /** Canonical ops that are fused. */
  ops: string[];
  /** For fuse-bias-add: "constant" (a bias) or "any" (a residual input too). */
  operand?: 'constant' | 'any';
  /** For gather-as-slice: the canonical op the layer becomes. */
  to?: string;
  source: string;
  url: string;
  quote?: string;
}

/**
 * The ops an int8 quantizer of the toolchain quantizes (or lets share its input's quantization); every other op of an
 * int8 model stays float, between a dequantize and a quantize (ExecuTorch's XNNPACKQuantizer).
 */
export interface Int8Quantizer {
  /** Canonical ops that run at int8. */
  keepsInt8: string[];
  /** File ops that map to one of those canonical ops but are not quantized (HardSigmoid maps to RELU6). */
  exceptFileOps: string[];
  source: string;
  url: string;
  quote?: string;
}

export interface Toolchain {
  name: string;
  /** The toolchain compiles fixed shapes (symbols take the figures' bindings); false: resolved at run time. */
  fixedShapes: boolean;
  /** A toolchain whose fusions this one also gets (edgetpu and tflm start from a TFLite file). */
  inherits?: string;
  fusions: FusionRule[];
  /** Only where an int8 model keeps some ops float (not inherited). */
  int8Quantizer?: Int8Quantizer;
}

export interface DeploymentRules {
  common: CommonRule[];
  toolchains: Record<string, Toolchain>;
  /** Runtime id (devices.json) -> toolchain id. */
  runtimes: Record<string, string>;
}

const COMMON_RULES = ['fold-constants', 'remove-identity', 'fold-batchnorm', 'absorb-qdq'] as const;
const FUSION_RULES = ['fuse-activation', 'fuse-bias-add', 'fuse-silu', 'merge-silu', 'gather-as-slice', 'elide-concat', 'elide-slice'] as const;

function sourced(c: Check, o: JsonObject, path: string): { source: string; url: string; quote?: string } {
  const url = c.str(o, 'url', path);
  if (!/^https:\/\//.test(url)) c.fail(`${path}url`, 'must be a public https address');
  const quote = c.optStr(o, 'quote', path);
  return { source: c.str(o, 'source', path), url, ...(quote !== undefined ? { quote } : {}) };
}

/** Validates a deployment-rules document (throws a DataFileError naming the field; exported for tests). */
export function parseDeploymentRules(doc: Json): DeploymentRules {
  const c = new Check('deployment-rules.json');
  const o = c.obj(doc, '', 'must be {schemaVersion, common, toolchains, runtimes}');
  c.num(o.schemaVersion, 'schemaVersion', 1, 1);
  const common = c.list(o.common, 'common', (x, p): CommonRule => {
    const r = c.obj(x, p);
    return {
      rule: c.oneOf(r.rule, `${p}.rule`, COMMON_RULES),
      description: c.str(r, 'description', `${p}.`),
      ...(r.into !== undefined ? { into: c.strList(r.into, `${p}.into`) } : {}),
      ...sourced(c, r, `${p}.`),
    };
  });
  const toolchains: Record<string, Toolchain> = Object.create(null);
  for (const [id, t] of Object.entries(c.record(o.toolchains, 'toolchains', (x, p) => c.obj(x, p)))) {
    const p = `toolchains.${id}`;
    const fusions = c.list(t.fusions, `${p}.fusions`, (x, q): FusionRule => {
      const r = c.obj(x, q);
      return {
        rule: c.oneOf(r.rule, `${q}.rule`, FUSION_RULES),
        description: c.str(r, 'description', `${q}.`),
        producers: c.strList(r.producers, `${q}.producers`),
        ops: c.strList(r.ops, `${q}.ops`),
        ...(r.operand !== undefined ? { operand: c.oneOf(r.operand, `${q}.operand`, ['constant', 'any'] as const) } : {}),
        ...(r.to !== undefined ? { to: c.str(r, 'to', `${q}.`) } : {}),
        ...sourced(c, r, `${q}.`),
      };
    });
    const inherits = c.optStr(t, 'inherits', `${p}.`);
    let int8Quantizer: Int8Quantizer | undefined;
    if (t.int8Quantizer !== undefined) {
      const q = c.obj(t.int8Quantizer, `${p}.int8Quantizer`);
      int8Quantizer = { keepsInt8: c.strList(q.keepsInt8, `${p}.int8Quantizer.keepsInt8`), exceptFileOps: c.strList(q.exceptFileOps, `${p}.int8Quantizer.exceptFileOps`), ...sourced(c, q, `${p}.int8Quantizer.`) };
    }
    toolchains[id] = { name: c.str(t, 'name', `${p}.`), fixedShapes: c.bool(t.fixedShapes, `${p}.fixedShapes`), ...(inherits !== undefined ? { inherits } : {}), fusions, ...(int8Quantizer ? { int8Quantizer } : {}) };
  }
  for (const [id, t] of Object.entries(toolchains)) if (t.inherits && !toolchains[t.inherits]) c.fail(`toolchains.${id}.inherits`, `names an unknown toolchain "${t.inherits}"`);
  const runtimes: Record<string, string> = Object.create(null);
  for (const [rt, id] of Object.entries(c.obj(o.runtimes, 'runtimes'))) {
    if (typeof id !== 'string' || !toolchains[id]) c.fail(`runtimes.${rt}`, `must name a toolchain, got ${JSON.stringify(id)}`);
    runtimes[rt] = id as string;
  }
  return { common, toolchains, runtimes };
}

let cached: DeploymentRules | null = null;

export function loadDeploymentRules(): DeploymentRules {
  if (!cached) cached = parseDeploymentRules(rulesJson);
  return cached;
}
