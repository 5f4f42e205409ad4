/**
 * Raising a model's ai.onnx opset to 11 for the int8 writers. Their ops need it (DynamicQuantizeLinear is opset
 * 11, MatMulInteger 10), and so do the nodes onnxruntime's own QDQ optimisations insert into the file it loads
 * (Round, QLinearMatMul): a QDQ file at opset 9 does not load at onnxruntime's default optimisation.
 * onnxruntime.quantization raises the opset number of a model below 10 to 11 and asks the user to check the
 * result; here the nodes whose operator changed its inputs or attributes between the model's opset and 11 are
 * rewritten to their opset-11 form, one node for one node under the same name (so layer names and tensors stay),
 * and a model with an operator whose meaning cannot be carried over node for node is refused with the reason:
 * - Clip (< 11) and Pad (< 11): min / max, pads and value move from attributes to inputs;
 * - Slice (< 10) and TopK (< 10): starts / ends / axes and k move from attributes to inputs;
 * - BatchNormalization (< 9): the `spatial` attribute is dropped when it is 1 (its default; refused otherwise);
 * - Scatter (9, 10): renamed ScatterElements, the same operator under its opset-11 name;
 * - Dropout (< 10): kept when its mask output is unused (opset 10 changed the mask's type);
 * - refused: Upsample and Resize-10 (Resize-11 adds an input and changes the coordinate rules), Scan (< 9),
 *   the experimental operators opset 10 removed (ImageScaler, Crop ...), any node with a subgraph (its body follows
 *   the default opset and is not rewritten), and opsets below 7.
 * Every other operator of ai.onnx keeps its meaning from opset 7 to 11 (later versions added types, negative axes
 * or optional attributes whose defaults are the old behaviour).
 */
import { ModelFileError } from '../../analyzers/errors';
import { DT, editNode, floatTensor, getAttr, makeTensor, opsetOf, type OnnxModel, type OnnxNode, type OnnxTensor } from './onnx-file';
import { graphFacts, Names } from './graph-facts';
import { isDefaultDomain } from './compress-types';

export const INT8_MIN_OPSET = 11;

/** Experimental operators of the early opsets that opset 10 removed (old model-zoo files use ImageScaler and Crop). */
const REMOVED_EXPERIMENTAL = new Set(['ImageScaler', 'Crop', 'Affine', 'ScaledTanh', 'ParametricSoftplus', 'GivenTensorFill', 'GRUUnit', 'ConstantFill', 'DynamicSlice', 'Scale', 'ATen']);

function int64Tensor(name: string, values: number[]): OnnxTensor {
  const b = Buffer.alloc(values.length * 8);
  values.forEach((v, i) => b.writeBigInt64LE(BigInt(v), i * 8));
  return makeTensor(name, DT.INT64, [values.length], b);
}

/**
 * Rewrites `model` in place to ai.onnx opset 11 when it is below; returns a note saying what changed, or null when
 * nothing had to. `dtypes` (tensor → onnxruntime type) tells Pad's constant value its type. Throws ModelFileError
 * when an operator cannot be carried over.
 */
export function upgradeToOpset11(model: OnnxModel, dtypes: ReadonlyMap<string, string>): string | null {
  const from = opsetOf(model, '');
  if (from === undefined || from >= INT8_MIN_OPSET) return null;
  const refuse = (why: string): never => {
    throw new ModelFileError(
      model.file,
      `its ai.onnx opset is ${from}; int8 needs opset ${INT8_MIN_OPSET} or later and ${why}. Convert the model first, e.g. python3 -c "import onnx, onnx.version_converter as v; onnx.save(v.convert_version(onnx.load('MODEL.onnx'), 13), 'MODEL-13.onnx')"`,
    );
  };
  if (from < 7) refuse('models below opset 7 are not converted here');
  const facts = graphFacts(model);
  const names = new Names(facts.names);
  const used = (x: string): boolean => facts.consumers.has(x) || facts.graphOutputs.has(x);
  const added: OnnxTensor[] = [];
  const constant = (base: string, t: (name: string) => OnnxTensor): string => {
    const tensor = t(names.make(base));
    added.push(tensor);
    return tensor.name;
  };
  const rewritten = new Map<string, number>();
  const count = (op: string): void => void rewritten.set(op, (rewritten.get(op) ?? 0) + 1);
  model.graph.nodes = model.graph.nodes.map((n): OnnxNode => {
    if (!isDefaultDomain(n.domain)) return n;
    const label = `${n.opType} "${n.name || n.outputs[0]}"`;
    if (n.attrs.some((a) => a.graphs.length)) refuse(`${label} holds a subgraph, whose nodes are not converted here`);
    if (REMOVED_EXPERIMENTAL.has(n.opType)) refuse(`${label} is an experimental operator that opset 10 removed`);
    const others = n.attrs.filter((a) => !['min', 'max', 'pads', 'value', 'starts', 'ends', 'axes', 'k', 'spatial'].includes(a.name));
    switch (n.opType) {
      case 'Upsample':
        return refuse(`${label} was replaced by Resize, whose opset-11 form has other inputs and coordinate rules`);
      case 'Resize':
        return refuse(`${label} is Resize-10, whose opset-11 form has other inputs and coordinate rules`);
      case 'Scan':
        if (from < 9) refuse(`${label} is Scan-8, whose inputs changed in opset 9`);
        return n;
      case 'Clip': {
        const type = dtypes.get(n.inputs[0]);
        if (type && type !== 'float32') refuse(`${label} clips a ${type} tensor (its bounds would need that type)`);
        const min = getAttr(n, 'min');
        const max = getAttr(n, 'max');
        count('Clip');
        const inputs = [n.inputs[0], min ? constant(`${n.name || n.outputs[0]}_min`, (name) => floatTensor(name, [], [min.f ?? 0])) : '', max ? constant(`${n.name || n.outputs[0]}_max`, (name) => floatTensor(name, [], [max.f ?? 0])) : ''];
        while (inputs.length > 1 && inputs[inputs.length - 1] === '') inputs.pop();
        return editNode(n, { inputs, attrs: others });
      }
      case 'Pad': {
        const pads = getAttr(n, 'pads')?.ints ?? refuse(`${label} has no pads`);
        const value = getAttr(n, 'value')?.f ?? 0;
        const inputs = [n.inputs[0], constant(`${n.name || n.outputs[0]}_pads`, (name) => int64Tensor(name, pads))];
        if (value !== 0) {
          if (dtypes.get(n.inputs[0]) !== 'float32') refuse(`${label} pads a ${dtypes.get(n.inputs[0]) ?? 'untyped'} tensor with a constant value`);
          inputs.push(constant(`${n.name || n.outputs[0]}_value`, (name) => floatTensor(name, [], [value])));
        }
        count('Pad');
        return editNode(n, { inputs, attrs: others });
      }
      case 'Slice': {
        if (from >= 10) return n;
        const starts = getAttr(n, 'starts')?.ints ?? refuse(`${label} has no starts`);
        const ends = getAttr(n, 'ends')?.ints ?? refuse(`${label} has no ends`);
        const axes = getAttr(n, 'axes')?.ints;
        const base = n.name || n.outputs[0];
        const inputs = [n.inputs[0], constant(`${base}_starts`, (name) => int64Tensor(name, starts)), constant(`${base}_ends`, (name) => int64Tensor(name, ends))];
        if (axes) inputs.push(constant(`${base}_axes`, (name) => int64Tensor(name, axes)));
        count('Slice');
        return editNode(n, { inputs, attrs: others });
      }
      case 'TopK': {
        if (from >= 10) return n;
        const k = getAttr(n, 'k')?.i ?? refuse(`${label} has no k`);
        count('TopK');
        return editNode(n, { inputs: [n.inputs[0], constant(`${n.name || n.outputs[0]}_k`, (name) => int64Tensor(name, [k]))], attrs: others });
      }
      case 'BatchNormalization': {
        const spatial = getAttr(n, 'spatial');
        if (!spatial) return n;
        if (spatial.i !== 1) refuse(`${label} normalizes per element (spatial = 0), which opset 9 removed`);
        count('BatchNormalization');
        return editNode(n, { attrs: others });
      }
      case 'Scatter':
        count('Scatter');
        return editNode(n, { opType: 'ScatterElements' });
      case 'Dropout':
        if (from < 10 && n.outputs[1] && used(n.outputs[1])) refuse(`${label} uses its mask output, whose type changed in opset 10`);
        return n;
      default:
        return n;
    }
  });
  model.graph.initializers.push(...added);
  const ai = model.opsets.find((o) => o.domain === '' || o.domain === 'ai.onnx')!;
  ai.version = INT8_MIN_OPSET;
  delete ai.original;
  const changed = [...rewritten].map(([op, k]) => `${k} ${op}`).join(', ');
  return `the model's ai.onnx opset was raised from ${from} to ${INT8_MIN_OPSET} (int8's operators need it)${changed ? `; rewritten to their opset-11 form: ${changed}` : '; no node needed rewriting'}`;
}
