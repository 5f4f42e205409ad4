/**
 * onnxruntime bugs that measuring must step around, in one place for the benchmark and verify.
 *
 * microsoft/onnxruntime#28392: on x86-64 (1.24 .. 1.30; ARM is not affected) the NCHWc layout transformer
 * dereferences null while loading a float16 Transpose → Cast → MatMul at full optimisation, and the process dies
 * (SIGSEGV). A float16 model whose Transpose feeds an op without a float16 CPU kernel (MatMul, Gemm ...) meets it,
 * because onnxruntime inserts that Cast itself: every float16 attention block has one. Such models are loaded with
 * that transformer left out (session config optimization.disable_specified_optimizers), which can make convolutions
 * slower than onnxruntime's default, and the report says so.
 */
import * as os from 'os';
import type { ModelProfile } from '../analyzers/profile-types';

export const NCHWC_HALF_TRANSPOSE_ISSUE = 'microsoft/onnxruntime#28392';

/** Whether a model file may hold float16 Transposes, as its profile tells: Transposes, and float16 weights or inputs. */
export function mayHaveHalfTransposes(m: Pick<ModelProfile, 'opHistogram' | 'weightDtypes' | 'inputs'>): boolean {
  return (m.opHistogram.Transpose ?? 0) > 0 && ((m.weightDtypes.FLOAT16 ?? 0) > 0 || m.inputs.some((i) => i.dtype === 'FLOAT16'));
}

/** The onnxruntime optimisers to leave out for a model with float16 Transposes on this machine (none elsewhere). */
export function optimizersToAvoid(halfTransposes: boolean): string[] {
  return halfTransposes && os.arch() === 'x64' ? ['NchwcTransformer'] : [];
}

/** What the report says when a model was loaded without the NCHWc transformer (`which`: the model, in words). */
export function nchwcNote(which: string): string {
  return `onnxruntime on x86-64 crashes loading float16 Transposes at full optimisation, in its NCHWc layout transformer (${NCHWC_HALF_TRANSPOSE_ISSUE}): ${which} ran with that transformer left out, which can make convolutions slower than onnxruntime's default; ARM builds of onnxruntime load it as it is`;
}

/** onnxruntime session options for leaving optimisers out (merged into `extra`). */
export function withoutOptimizersExtra(names: readonly string[]): { optimization?: { disable_specified_optimizers: string } } {
  return names.length ? { optimization: { disable_specified_optimizers: names.join(';') } } : {};
}
