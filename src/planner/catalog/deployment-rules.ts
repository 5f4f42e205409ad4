/**
 * deployment-rules.json: what each toolchain folds and fuses before a model runs (read by
 * estimate/deployed-graph.ts). Validated at load; a broken file throws a CatalogError naming the field.
 * No `vscode` import.
 */
import rulesJson from './deployment-rules.json';
import { CatalogError } from './schema';

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
  rule: 'fuse-activation' | 'fuse-bias-add';
  description: string;
  /** Canonical ops that absorb the fused op. */
  producers: string[];
  /** Canonical ops that are fused. */
  ops: string[];
  /** For fuse-bias-add: "constant" (a bias) or "any" (a residual input too). */
  operand?: 'constant' | 'any';
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
}

export interface DeploymentRules {
  common: CommonRule[];
  toolchains: Record<string, Toolchain>;
  /** Runtime id (devices.json) -> toolchain id. */
  runtimes: Record<string, string>;
}

const FILE = 'deployment-rules.json';
const COMMON_RULES = ['fold-constants', 'remove-identity', 'fold-batchnorm', 'absorb-qdq'];
const FUSION_RULES = ['fuse-activation', 'fuse-bias-add'];

function fail(field: string, what: string): never {
  throw new CatalogError(`${FILE}: ${field} ${what}`);
}
const isObj = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);
const str = (v: unknown, field: string): string => (typeof v === 'string' && v.trim() ? v : fail(field, 'must be a non-empty string'));
const strList = (v: unknown, field: string): string[] => (Array.isArray(v) && v.every((x) => typeof x === 'string') ? (v as string[]) : fail(field, 'must be a list of strings'));

function sourced(r: Record<string, unknown>, field: string): { source: string; url: string; quote?: string } {
  const url = str(r.url, `${field}.url`);
  if (!/^https:\/\//.test(url)) fail(`${field}.url`, 'must be a public https address');
  return { source: str(r.source, `${field}.source`), url, ...(r.quote !== undefined ? { quote: str(r.quote, `${field}.quote`) } : {}) };
}

/** Validates a deployment-rules document (exported for tests that feed a broken one). */
export function validateDeploymentRules(doc: unknown): DeploymentRules {
  if (!isObj(doc)) fail('(root)', 'must be an object');
  if (doc.schemaVersion !== 1) fail('schemaVersion', 'must be 1');
  if (!Array.isArray(doc.common)) fail('common', 'must be a list');
  const common = doc.common.map((r, i): CommonRule => {
    const f = `common[${i}]`;
    if (!isObj(r)) fail(f, 'must be an object');
    const rule = str(r.rule, `${f}.rule`);
    if (!COMMON_RULES.includes(rule)) fail(`${f}.rule`, `must be one of ${COMMON_RULES.join(', ')}`);
    return { rule: rule as CommonRule['rule'], description: str(r.description, `${f}.description`), ...(r.into !== undefined ? { into: strList(r.into, `${f}.into`) } : {}), ...sourced(r, f) };
  });
  if (!isObj(doc.toolchains)) fail('toolchains', 'must be an object');
  const toolchains: Record<string, Toolchain> = Object.create(null);
  for (const [id, t] of Object.entries(doc.toolchains)) {
    const f = `toolchains.${id}`;
    if (!isObj(t)) fail(f, 'must be an object');
    if (typeof t.fixedShapes !== 'boolean') fail(`${f}.fixedShapes`, 'must be true or false');
    if (!Array.isArray(t.fusions)) fail(`${f}.fusions`, 'must be a list');
    const fusions = t.fusions.map((r, i): FusionRule => {
      const g = `${f}.fusions[${i}]`;
      if (!isObj(r)) fail(g, 'must be an object');
      const rule = str(r.rule, `${g}.rule`);
      if (!FUSION_RULES.includes(rule)) fail(`${g}.rule`, `must be one of ${FUSION_RULES.join(', ')}`);
      if (r.operand !== undefined && r.operand !== 'constant' && r.operand !== 'any') fail(`${g}.operand`, 'must be "constant" or "any"');
      return {
        rule: rule as FusionRule['rule'], description: str(r.description, `${g}.description`), producers: strList(r.producers, `${g}.producers`), ops: strList(r.ops, `${g}.ops`),
        ...(r.operand !== undefined ? { operand: r.operand as 'constant' | 'any' } : {}), ...sourced(r, g),
      };
    });
    toolchains[id] = { name: str(t.name, `${f}.name`), fixedShapes: t.fixedShapes, ...(t.inherits !== undefined ? { inherits: str(t.inherits, `${f}.inherits`) } : {}), fusions };
  }
  for (const [id, t] of Object.entries(toolchains)) if (t.inherits && !toolchains[t.inherits]) fail(`toolchains.${id}.inherits`, `names an unknown toolchain "${t.inherits}"`);
  if (!isObj(doc.runtimes)) fail('runtimes', 'must be an object');
  const runtimes: Record<string, string> = Object.create(null);
  for (const [rt, id] of Object.entries(doc.runtimes)) {
    const t = str(id, `runtimes.${rt}`);
    if (!toolchains[t]) fail(`runtimes.${rt}`, `names an unknown toolchain "${t}"`);
    runtimes[rt] = t;
  }
  return { common, toolchains, runtimes };
}

let cached: DeploymentRules | null = null;

export function loadDeploymentRules(): DeploymentRules {
  if (!cached) cached = validateDeploymentRules(rulesJson);
  return cached;
}
