/**
 * op-support.json as typed data: which operators each target runtime maps (allow- or deny-list, with
 * limitations and a source), how ONNX ops — and, through their toolchains' conversions, Keras layers and Core ML
 * operations — map to the TFLite-style names the lists use, and which ops every converter folds away. Validated at load with the data-file checker. No `vscode` import.
 */
import { Check, type Json } from './check';

export interface OpTarget {
  mode: 'all' | 'allowlist' | 'denylist';
  description: string;
  ops?: string[];
  limitations?: Record<string, string>;
  source: string;
  quote?: string;
}

/** How one source format's ops become the TFLite-style names the target lists use: what its toolchain produces. */
export interface OpConversion {
  description: string;
  source: string;
  quote?: string;
  /** Op name (or "Op:variant", e.g. a Keras `Activation:relu`) → canonical op. */
  ops: Record<string, string>;
}

export interface OpSupport {
  onnxToCanonical: Record<string, string>;
  /** Keras and Core ML: the canonical op each layer type / operation converts to. */
  conversions: Record<string, OpConversion>;
  ignored: string[];
  targets: Record<string, OpTarget>;
}

const MODES = ['all', 'allowlist', 'denylist'] as const;

function opTarget(c: Check, v: Json, path: string): OpTarget {
  const o = c.obj(v, path);
  const mode = c.oneOf(o.mode, `${path}.mode`, MODES);
  const t: OpTarget = { mode, description: c.str(o, 'description', `${path}.`), source: c.str(o, 'source', `${path}.`) };
  if (mode !== 'all' || o.ops !== undefined) t.ops = c.strList(o.ops, `${path}.ops`);
  if (o.limitations !== undefined) {
    t.limitations = c.record(o.limitations, `${path}.limitations`, (x, p) => {
      if (typeof x !== 'string' || !x) c.fail(p, 'must be a non-empty string');
      return x;
    });
  }
  const quote = c.optStr(o, 'quote', `${path}.`);
  if (quote !== undefined) t.quote = quote;
  return t;
}

function opConversion(c: Check, v: Json, path: string): OpConversion {
  const o = c.obj(v, path);
  const conv: OpConversion = {
    description: c.str(o, 'description', `${path}.`),
    source: c.str(o, 'source', `${path}.`),
    ops: c.record(o.ops, `${path}.ops`, (x, p) => {
      if (typeof x !== 'string' || !x) c.fail(p, 'must be a non-empty string (a TFLite-style op name)');
      return x;
    }),
  };
  const quote = c.optStr(o, 'quote', `${path}.`);
  if (quote !== undefined) conv.quote = quote;
  return conv;
}

/** Validates op-support.json (throws the error `makeError` builds, naming the field). */
export function parseOpSupport(doc: Json, makeError?: (message: string) => Error): OpSupport {
  const c: Check = new Check('op-support.json', makeError);
  const o = c.obj(doc, '', 'must be {onnxToCanonical, conversions, ignored, targets}');
  return {
    onnxToCanonical: c.record(o.onnxToCanonical, 'onnxToCanonical', (x, p) => {
      if (typeof x !== 'string' || !x) c.fail(p, 'must be a non-empty string (a TFLite-style op name)');
      return x;
    }),
    conversions: c.record(o.conversions, 'conversions', (x, p) => opConversion(c, x, p)),
    ignored: c.strList(o.ignored, 'ignored'),
    targets: c.record(o.targets, 'targets', (x, p) => opTarget(c, x, p)),
  };
}
