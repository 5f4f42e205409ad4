/**
 * What the recommender needs to know about a model and a device before it searches: the device class that
 * decides what a technique accelerates, and the model's traits (depthwise-heavy, transformer, LLM, family,
 * float or already quantized, prunable, the share of work each INT8 scheme converts). No `vscode` import.
 */
import type { ModelProfile } from '../../analyzers/profile-types';
import type { DeviceSpec } from '../catalog';
import { isLlm } from '../estimate/llm';
import { modelTask } from './model-task';
import { INT8_DYNAMIC_CLASSES, INT8_STATIC_CLASSES } from './transform';
import type { DeviceClass, StudentFamily } from './technique-table';

/** The device class that decides what a technique accelerates. */
export function deviceClassOf(spec: DeviceSpec): DeviceClass {
  if (spec.kind === 'mcu') return 'mcu';
  const acc = spec.accelerator;
  if (acc) {
    if (acc.opSupport === 'edgetpu') return 'edgetpu';
    if (acc.opSupport === 'tensorrt') return 'gpu-tensorrt';
    if (acc.opSupport === 'ane') return 'ane';
    if (acc.opSupport === 'hexagon-htp') return 'htp';
  }
  return spec.cpu?.precisions.fp16 === 'native' ? 'cpu-fp16' : 'cpu';
}

export interface ModelTraits {
  depthwiseHeavy: boolean;
  transformer: boolean;
  llm: boolean;
  family: StudentFamily;
  /** The model computes in float (fp32/fp16) — quantization steps apply. */
  float: boolean;
  /** Already fp16 (or bf16). */
  half: boolean;
  /** Has conv/linear layers with weights (pruning applies). */
  prunable: boolean;
  /** Share of MACs in layers a full-integer converter quantizes. */
  int8StaticShare: number;
  int8DynamicShare: number;
}

export function modelTraits(p: ModelProfile): ModelTraits {
  let convCount = 0;
  let dwCount = 0;
  let attention = 0;
  let softmax = 0;
  let norm = 0;
  let matmulW = 0;
  let totalMacs = 0;
  let staticMacs = 0;
  let dynamicMacs = 0;
  let floatMacs = 0;
  let halfMacs = 0;
  for (const l of p.layers) {
    if (l.opClass === 'conv') convCount++;
    if (l.opClass === 'depthwise-conv') dwCount++;
    if (l.opClass === 'attention') attention++;
    if (l.opClass === 'softmax') softmax++;
    if (l.opClass === 'normalization') norm++;
    if (l.opClass === 'matmul' && l.params > 0) matmulW++;
    const m = (l.macs ?? 0) + (l.flops ?? 0) / 2;
    totalMacs += m;
    if (INT8_STATIC_CLASSES.has(l.opClass)) staticMacs += m;
    if (INT8_DYNAMIC_CLASSES.has(l.opClass) && l.params > 0) dynamicMacs += m;
    if (l.precision === 'fp32' || l.precision === 'fp16' || l.precision === 'bf16' || l.precision === 'fp64') floatMacs += m;
    if (l.precision === 'fp16' || l.precision === 'bf16') halfMacs += m;
  }
  const llm = isLlm(p);
  const transformer = llm || attention > 0 || (softmax > 0 && norm > 0 && matmulW >= 4 && convCount <= matmulW);
  const q = p.quantization.state;
  const float = p.layers.length ? floatMacs > 0.5 * totalMacs && q !== 'int8-full' && q !== 'qdq' && q !== 'compiled' : q === 'float' || q === 'fp16' || q === 'bf16' || q === 'unknown';
  const half = p.layers.length ? halfMacs > 0.5 * totalMacs : q === 'fp16' || q === 'bf16';
  return {
    depthwiseHeavy: dwCount >= 3 && dwCount / Math.max(1, convCount + dwCount) >= 0.2,
    transformer,
    llm,
    family: familyOf(p, llm, transformer, convCount + dwCount),
    float,
    half,
    prunable: p.layers.some((l) => (l.opClass === 'conv' || l.opClass === 'matmul') && l.params > 0),
    int8StaticShare: totalMacs > 0 ? staticMacs / totalMacs : 1,
    int8DynamicShare: totalMacs > 0 ? dynamicMacs / totalMacs : 1,
  };
}

/** The family of distillation students: from the model's task as its graph shows it (model-task.ts), never its file name. */
function familyOf(p: ModelProfile, llm: boolean, transformer: boolean, convs: number): StudentFamily {
  if (llm) return 'llm';
  const { task } = modelTask(p);
  if (task === 'detector') return 'detector';
  if (transformer && convs === 0) return 'transformer-encoder';
  if (task === 'classifier' && convs >= 3) return 'cnn-classifier';
  return 'generic';
}
