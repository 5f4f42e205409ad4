/**
 * The words of the estimator: every sentence an estimate shows (its assumptions, the compatibility summary,
 * each blocker and each reason a layer falls back) is made here, from the structured reasons the numeric code
 * returns (reasons.ts). The CLI, the views and the documents print these strings, so they say the same thing
 * in the same words. No `vscode` import.
 */
import { PUBLISHED_POSTPROCESS } from './postprocess';
import type { DeployedSummary } from '../types';
import type { Blocker, CompatibilityFinding, EstimateNote, NoLatencyCause, PlacementReason, ThroughputBasis } from './reasons';
import type { ModelFormat } from '../../analyzers/graph';
import { OVERHEAD_FIT_MIN_POINTS, RANGE_NOMINAL_COVERAGE, type BySourceCheck, type NestedRangeCheck, type SpanCheck, type TransferredRuntimeFactor, type UnmeasuredRuntimeCheck, type SizeScalingPair } from '../catalog/calibration';

export function fmtBytes(b: number): string {
  if (b >= 1024 ** 3) return `${(b / 1024 ** 3).toFixed(2)} GiB`;
  if (b >= 1024 ** 2) return `${(b / 1024 ** 2).toFixed(2)} MiB`;
  if (b >= 1024) return `${(b / 1024).toFixed(1)} KiB`;
  return `${b} B`;
}

function fmtOps(v: number): string {
  return v >= 1e12 ? `${+(v / 1e12).toFixed(2)} TOPS` : `${+(v / 1e9).toFixed(1)} GOPS`;
}

export function explainPlacement(r: PlacementReason): string {
  switch (r.kind) {
    case 'op-unsupported':
      return `${r.op} is not supported by ${r.unitName}`;
    case 'not-in-kernel-set':
      return `${r.op} is not in the ${r.kernelSet} kernel set`;
    case 'precision-unsupported':
      return `${r.precision} is not supported by ${r.unitName}`;
    case 'edgetpu-not-int8':
      return `computes in ${r.precision}: the Edge TPU runs fully int8-quantised ops only`;
    case 'edgetpu-rank':
      return `output shape [${r.shape.join(', ')}] has more than 3 non-trivial dimensions`;
    case 'compiled-elsewhere':
      return 'compiled for other hardware';
    case 'after-prefix-break':
      return `after the first unsupported op (${r.firstBreak}) the Edge TPU compiler leaves the rest of the graph on the CPU`;
  }
}

/** How a graph in each format reaches TensorFlow Lite, the Edge TPU compiler's only input. */
const TO_TFLITE: Partial<Record<ModelFormat, { label: string; how: string }>> = {
  onnx: { label: 'ONNX', how: 'convert (e.g. onnx2tf)' },
  keras: { label: 'Keras', how: 'convert it with the TensorFlow Lite converter' },
  pytorch: { label: 'PyTorch', how: 'export it (ai-edge-torch, or torch.onnx.export then onnx2tf)' },
  coreml: { label: 'Core ML', how: 'start from the TensorFlow or PyTorch model it was converted from (a Core ML file converts to nothing else)' },
};

export function explainBlocker(b: Blocker): string {
  switch (b.kind) {
    case 'compiled-for':
      return `the file contains a segment compiled for ${b.segmentKind} (${b.segmentKind.includes('edgetpu') ? 'Google Edge TPU' : b.segmentKind}); it cannot run on ${b.deviceName} — start from the uncompiled model`;
    case 'no-compute-graph':
      return 'no compute graph in the file: operators and activation shapes are unknown';
    case 'dynamic-shape':
      return `dynamic input shape (${b.symbols.join(', ') || 'unknown dims'}): ${b.unitName} needs static shapes — export with fixed sizes (figures assume ${JSON.stringify(b.bindings)})`;
    case 'not-tflite-on-edgetpu':
      return `${TO_TFLITE[b.format]?.label ?? b.format} model: the Edge TPU runs only TensorFlow Lite models — ${TO_TFLITE[b.format]?.how ?? 'convert it to TensorFlow Lite'}, quantise to full int8, then compile with edgetpu_compiler`;
  }
}

export function explainFinding(f: CompatibilityFinding): string {
  switch (f.kind) {
    case 'weights-only-llm':
      return `The ${f.format} file stores weights but no compute graph, so operator support cannot be checked; an LLM runtime (${f.runtimes.join(', ')}) would execute it.`;
    case 'weights-only':
      return `The ${f.format} file stores weights but no compute graph: ${f.deviceName} needs a converted graph model (ONNX/TFLite/Core ML) before anything can be checked or run.`;
    case 'cannot-run-compiled':
      return `Cannot run on ${f.deviceName}: ${explainBlocker(f.blocker)}.`;
    case 'cannot-run-kernels':
      return `Cannot run on ${f.deviceName}: ${f.ops.join(', ')} ${f.ops.length === 1 ? 'is' : 'are'} not in the ${f.kernelSet} kernel set and there is no fallback processor.`;
    case 'all-on':
      return `All ${f.count} ops run on the ${f.unitName}.`;
    case 'none-on-accelerator': {
      const why = f.why ? explainPlacement(f.why) : 'no op is supported';
      const hint = f.quantiseForEdgeTpu ? ' Quantise the model to full int8 (static PTQ or QAT) and compile it with edgetpu_compiler to use the Edge TPU.' : '';
      return `Nothing runs on the ${f.unitName} (${why}); all ${f.count} ops fall back to the ${f.cpuName}.${hint}`;
    }
    case 'partial':
      return `${f.onAccelerator} of ${f.count} ops run on the ${f.unitName}; ${f.count - f.onAccelerator} fall back to the ${f.cpuName}${f.from ? ` from ${f.from} on` : ''}.`;
  }
}

export function explainThroughput(b: ThroughputBasis): string {
  switch (b.kind) {
    case 'peak':
      return `${b.precision}: ${(b.eta * 100).toFixed(1)}% of the ${fmtOps(b.peak)} catalog peak${b.tf32 ? ' (TF32 tensor-core rate = fp16 / 2)' : ''}`;
    case 'ratio':
      return `${b.precision}: no catalog peak; ${b.ratio}x the ${b.from} rate (prior)`;
    case 'emulated':
      return `${b.precision}: emulated in fp32 (no ${b.precision} arithmetic)`;
    case 'nominal-fitted':
      return `int8: no catalog peak; ${fmtOps(b.value)} effective, fitted directly to published measurements (nominal 1 TOPS x scale ${+b.scale.toFixed(3)})`;
    case 'fitted-ratio':
      return `fp16: ${b.ratio}x the fitted int8 rate (prior)`;
    case 'mcu-prior':
      return `int8: no catalog peak for ${b.unitName}; prior of ${b.macsPerCycle} MAC/cycle on one core at ${(b.clockHz / 1e6).toFixed(0)} MHz (CMSIS-NN-class kernels; not measured on this chip)`;
    case 'mcu-int16-prior':
      return 'int16: half the int8 prior';
    case 'mcu-fp32-prior':
      return 'fp32: a quarter of the int8 prior (scalar FPU)';
    case 'stand-in':
      return `${b.precision}: no catalog peak for ${b.unitName}; the ${b.standInName} stands in, so this is an upper bound on speed (a lower bound on latency) for a slower core`;
  }
}

/** Why there is no latency, in words (no lead, no closing period): the estimate's latencyUnknownReason. */
export function noLatencyWhy(c: NoLatencyCause): string {
  switch (c.kind) {
    case 'not-runnable':
      return explainFinding(c.finding).replace(/\.$/, '');
    case 'no-weights':
      return 'the file holds no weights (a vocabulary-only or empty file)';
    case 'no-bandwidth':
      return `the file has no compute graph and the catalog has no memory bandwidth for ${c.deviceName}`;
    case 'not-an-llm':
      return `the file stores weights but no compute graph (its MACs and activation sizes are unknown), and it is not a language model, whose time per token would follow from its weights (${c.why})`;
  }
}

const explainNoLatency = (c: NoLatencyCause): string => `Latency is not estimated: ${noLatencyWhy(c)}.`;

const PURE_INFERENCE = 'Pure inference time (model execution): framework / pipeline overhead (pre- and post-processing, a Python benchmark loop, model loading) is excluded.';

/** The sentence of one estimate assumption. */
export function explainNote(n: EstimateNote): string {
  switch (n.kind) {
    case 'activation-peak-unknown':
      return 'Peak activation memory is unknown (no graph or unknown shapes); it is counted as 0, so the memory total is a lower bound.';
    case 'mcu-memory':
      return `MCU memory: weights (${fmtBytes(n.weightsBytes)}) + runtime code (${fmtBytes(n.codeBytes)}) in flash; tensor arena (peak activations ${fmtBytes(n.activationBytes)}) + ${fmtBytes(n.runtimeBytes)} runtime data in SRAM; the arena planner may need some slack beyond the liveness peak.`;
    case 'ram-unknown':
      return `The catalog sources give no RAM size for ${n.deviceName}: memory fit is not decided.`;
    case 'jetson-shared-memory':
      return 'Jetson memory is shared by the OS, the CPU and the GPU: the OS and desktop take part of the 8 GB.';
    case 'per-token':
      return `No compute graph: latency is the time per generated token of LLM-style decoding, bandwidth-bound: ${fmtBytes(n.weightsBytes)} of weights read per token at ${(n.memoryEfficiency * 100).toFixed(0)}% of ${(n.bandwidth / 1e9).toFixed(1)} GB/s. Prompt processing (prefill) and KV-cache traffic are not included.`;
    case 'no-latency':
      return explainNoLatency(n.cause);
    case 'accelerator-io':
      return `Input/output over ${n.linkName}: ${fmtBytes(n.ioBytes)} at ${(n.linkBandwidth / 1e9).toFixed(2)} GB/s, plus ${n.fixedMs.toFixed(2)} ms fixed per-inference overhead.`;
    case 'partition-boundaries':
      return `${n.count} accelerator/CPU partition boundar${n.count === 1 ? 'y' : 'ies'} add ${n.transferMs.toFixed(2)} ms of transfers.`;
    case 'edgetpu-streaming':
      return `Edge TPU parameters: ${fmtBytes(n.cachedBytes)} cached on chip, ${fmtBytes(n.streamedBytes)} streamed from the host each inference at ${(n.streamBandwidth / 1e9).toFixed(2)} GB/s (the cache holds about ${fmtBytes(n.cacheBytes)}).`;
    case 'detection-postprocess': {
      const m = PUBLISHED_POSTPROCESS;
      const what = `The detection post-processing (${n.op}) runs on the ${n.unit === 'cpu' ? 'CPU' : 'accelerator'}`;
      const counted = `${+(n.ops / 1e6).toPrecision(3)} million counted ops`;
      const timed = `${m.source} took ${m.devBoardMs.at10} ms on a Coral Dev Board's CPU and ${m.rpi4Ms.at10} ms on a Raspberry Pi 4 with 10 kept detections, ${m.devBoardMs.at100} and ${m.rpi4Ms.at100} ms with 100 (${m.devBoardNsPerOp} ns per counted op on the Dev Board's Cortex-A53, ${m.cyclesPerOp} cycles on the Pi 4's Cortex-A72)`;
      if (n.unit !== 'cpu') return `${what}, estimated at ${+n.estimatedMs.toPrecision(2)} ms from its arithmetic (${counted}).`;
      if (n.included) return `${what}: scalar code on one core, estimated at ${+n.estimatedMs.toPrecision(2)} ms from its arithmetic (${counted}) at the rate published timings of it show, not the CPU's vector rate: ${timed}.`;
      const base = `${what}, estimated at ${+n.estimatedMs.toPrecision(2)} ms from its arithmetic (${counted}, a worst case: a score threshold leaves fewer candidates) at the unit's vector rate. Scalar code on one core runs slower: ${timed}`;
      return n.atPublishedMs === null
        ? `${base}.`
        : `${base}; at that rate the worst case would take about ${+n.atPublishedMs.toPrecision(2)} ms here (derived, not measured on this device), which the latency range does not include.`;
    }
    case 'on-chip-activations':
      return n.share === 0
        ? `On the ${n.unitName}, activations are assumed to stay in its on-chip memory (fused layer groups); only the weights are read from DRAM. Activations larger than that memory spill to DRAM and run slower than estimated.`
        : `On the ${n.unitName}, ${Math.round(n.share * 100)} % of the activation traffic is assumed to reach DRAM; the rest stays on chip.`;
    case 'edgetpu-cached':
      return `Edge TPU parameters fit the ~${fmtBytes(n.cacheBytes)} on-chip cache (${fmtBytes(n.cachedBytes)}); nothing is streamed per inference.`;
    case 'unknown-layer-costs':
      return `${n.layers} layer(s) have unknown MACs/FLOPs (a shape is unknown); their compute is not counted, so the typical figure is a lower bound and the high end is widened by 1.5x.`;
    case 'uncosted-layers':
      return `Some of the model's work is not in the file, so its cost is not counted and the latency is a lower bound: ${n.reason}.`;
    case 'control-flow-bodies':
      return `${n.bodies} control-flow bod${n.bodies === 1 ? 'y' : 'ies'} (If/Loop/Scan) hold work that runs a data-dependent number of times (e.g. ${n.example}); it is not counted, so the latency is a lower bound.`;
    case 'cpu-threads':
      return n.used < n.cores
        ? `${n.unitName}: the runtime uses ${n.threads} thread${n.threads === 1 ? '' : 's'}, so its layers compute at ${n.used} of the ${n.cores} cores its peak counts (scaled linearly, a prior; memory time and per-op dispatch unchanged).`
        : `${n.unitName}: the runtime uses ${n.threads} threads, at least the ${n.cores} cores its peak counts (the full figure).`;
    case 'cpu-stand-in':
      return 'The catalog has no published compute peak for this CPU; a faster CPU stands in, so the latency of the layers it runs is a lower bound.';
    case 'plug-in-power':
      return `Power = ${n.hostName} at idle (${n.hostIdleW.toFixed(2)} W, bare-board figure) + Edge TPU up to ${n.acceleratorMaxW} W while it computes${n.cpuShare > 0 ? ` + host CPU load for the ${(n.cpuShare * 100).toFixed(0)}% of ops that fall back` : ''}; the low end assumes the TPU draws little, the high end the host under load.`;
    case 'accelerator-power-only':
      return `Only the accelerator's own power is known for ${n.deviceName} (the board's is not in the catalog sources): power and energy are lower bounds.`;
    case 'load-power-from-sibling':
      return `No measured power under load for ${n.deviceName}: typical power is its idle figure × ${n.ratio.toFixed(2)}, the load/idle ratio measured on ${n.from}; the range spans idle to ${n.hasMax ? 'the maximum rating' : 'that figure'}.`;
    case 'load-power-unknown':
      return `No measured power under load for ${n.deviceName}: typical power is ${n.hasIdle ? 'its idle figure (a lower bound)' : 'its maximum rating (an upper bound)'}.`;
    case 'no-power':
      return `Power is not estimated: the catalog sources give no power figure for ${n.deviceName}.`;
    case 'battery-never-idles':
      return `At ${n.inferencesPerHour} inferences/hour the device never idles (needs ${n.busyS.toFixed(0)} s of compute per hour): battery life assumes continuous inference.`;
    case 'battery-idle-unknown':
      return 'Idle/sleep power is unknown: battery life counts inference energy only and is an upper bound.';
    case 'precision-runtime':
      return `Precision: ${n.precision}${n.requested ? ' (requested)' : " (the model's own)"}; runtime: ${n.runtimeName}.`;
    case 'throughput':
      return `${n.unit === 'accelerator' ? n.unitName : `CPU (${n.unitName})`} dense throughput ${explainThroughput(n.basis)}.`;
    case 'catalog-note':
      return n.text;
    case 'calibrated':
      return `Efficiency calibrated on ${n.points} published measurement(s) for ${n.deviceId}${n.sources.length ? ` from ${n.sources.length} source${n.sources.length === 1 ? '' : 's'} (${n.sources.join(', ')})` : ''}${n.unmeasuredRuntime ? unmeasuredRuntimeClause(n.runtime, n.deviceId, n.unmeasuredRuntime.transferred) : n.runtimeFactor !== 1 ? `, with runtime ${n.runtime} ${n.runtimeFactor.toFixed(2)}x as fast as the fitted device average` : ''}${n.precisionFactor !== 1 ? `, a ${n.precisionFactor.toFixed(2)}x factor for ${n.precision}` : ''}; range${n.runtimeRange ? ` for ${n.runtime} (its own, from its ${n.runtimeRange.points} published point${n.runtimeRange.points === 1 ? '' : 's'} on this device)` : n.unmeasuredRuntime ? ` (the device's, as for every runtime without published points on it)` : ''} x${n.range.low.toFixed(2)} .. x${n.range.high.toFixed(2)}${n.rangeBasis ? ` (${n.rangeBasis})` : ' from the fit residuals'}.${n.fewPointsScale ? fewPointsSentence(n.fewPointsScale) : ''}${nestedSentence(n.nestedCheck)}${bySourceSentence(n.bySource)}${n.unmeasuredRuntime?.check ? unmeasuredCheckSentence(n.unmeasuredRuntime.check) : ''}`;
    case 'outside-training-span':
      return outsideSpanSentence(n);
    case 'size-scaling':
      return sizeScalingSentence(n);
    case 'uncalibrated':
      return `No published measurements for ${n.deviceId} in the calibration set: efficiency factors are uncalibrated priors (research defaults) and the range is wide (x${n.range.low} .. x${n.range.high}).`;
    case 'pure-inference':
      // The calibration fits a pipeline's fixed time (calibration.json pipelineOverheadMs) but never adds it to
      // an estimate: this sentence says so and gives the fitted figure, so a user of that pipeline can add it.
      if (!n.pipelines.length) return PURE_INFERENCE;
      return `${PURE_INFERENCE} Calibration fitted such overhead on ${n.deviceId}: ${n.pipelines.map((p) => `${+p.ms.toFixed(2)} ms per inference for the ${p.measures} (${p.runtimes.join(', ')}; ${p.points} published points)`).join('; ')}; add it if you time that pipeline.`;
    case 'bindings':
      return `Symbolic dimensions bound as ${JSON.stringify(n.bindings)}.`;
    case 'corrected':
      return n.otherRuntimes
        ? `Corrected by your ${n.points} measurement${n.points > 1 ? 's' : ''} on this device, taken with ${n.otherRuntimes.join(', ')}, none with ${n.runtime}: estimates × ${n.factor.toFixed(2)} (geometric mean of measured / estimated, applied as this model's own offset; measure with ${n.runtime} to correct its speed too)`
        : `Corrected by your ${n.points} measurement${n.points > 1 ? 's' : ''} on this device with ${n.runtime}: estimates × ${n.factor.toFixed(2)} (geometric mean of measured / estimated)`;
    case 'measured-configuration':
      return `Latency measured, not estimated: your ${n.runs} run${n.runs === 1 ? '' : 's'} of ${n.model} at ${n.precision} with ${n.runtime} on this device (edgeplan measure): ${+n.latency.typical.toPrecision(4)} ms${n.runs > 1 ? ` (geometric mean; ${+n.latency.low.toPrecision(4)}–${+n.latency.high.toPrecision(4)} ms over the runs)` : ''}; the calibrated estimate was ${+n.estimatedMs.toPrecision(4)} ms. Energy = power × the measured latency.`;
    case 'measured-power':
      return `Power while inferring: ${n.lowW.toFixed(3)} .. ${n.highW.toFixed(3)} W, the board power measured on ${n.points} published run${n.points === 1 ? '' : 's'} of ${n.deviceName} (${n.sources.join(', ')}: ${n.measures}); energy per inference = that power × the latency range.`;
    case 'published-power':
      return `Power while inferring: ${n.lowW} .. ${n.highW} W (typical ${n.typicalW} W), from published figures, not a calibrated energy run on ${n.deviceName}: ${n.scope} (${n.sources.join('; ')}); energy per inference = that power × the latency range.`;
    case 'deployed-graph':
      return explainDeployed(n.summary);
  }
}

const STEP_WORDS: Record<string, [string, string]> = {
  'constant-folded': ['constant node folded', 'constant nodes folded'],
  'shape-folded': ['shape query folded', 'shape queries folded'],
  'identity-removed': ['Identity/Dropout removed', 'Identity/Dropout removed'],
  'noop-reshape-removed': ['no-op reshape removed', 'no-op reshapes removed'],
  'batchnorm-folded': ['BatchNormalization folded into its convolution', 'BatchNormalizations folded into their convolutions'],
  'activation-fused': ['activation fused into its producer', 'activations fused into their producers'],
  'bias-add-fused': ['bias add fused', 'bias adds fused'],
  'residual-add-fused': ['residual add fused', 'residual adds fused'],
  'qdq-absorbed': ['Quantize/DequantizeLinear absorbed into an int8 op', 'Quantize/DequantizeLinear absorbed into int8 ops'],
  'lowered-to-slice': ['Gather of one index converted to a slice', 'Gathers of one index converted to slices'],
  'concat-elided': ['concatenation written in place by its producers', 'concatenations written in place by their producers'],
  'slice-elided': ['contiguous split read as a view', 'contiguous splits read as views'],
};

function fmtMacs(v: number): string {
  return v >= 1e9 ? `${+(v / 1e9).toFixed(2)} G` : v >= 1e6 ? `${+(v / 1e6).toFixed(2)} M` : v >= 1e3 ? `${+(v / 1e3).toFixed(1)} k` : `${v} `;
}

/** A network published at two input sizes on the device grew differently from the estimate (measured vs estimated growth). */
function sizeScalingSentence(n: Extract<EstimateNote, { kind: 'size-scaling' }>): string {
  const split = (e: { input: number; split: string }) => `${e.input} ${e.split === 'held-out' ? 'held out' : 'in the training split'}`;
  const one = (s: SizeScalingPair) => {
    const k = s.measuredRatio / s.estimateRatio;
    return `${s.network} (${s.publication}, ${s.runtime}, ${s.precision}) took x${s.measuredRatio.toFixed(2)} as long at ${s.to.input} as at ${s.from.input} (measured; ${split(s.from)}, ${split(s.to)}) where this estimator gives x${s.estimateRatio.toFixed(2)}, ` +
      `so it was ${k > 1 ? `x${k.toFixed(1)} too fast` : `x${(1 / k).toFixed(1)} too slow`} at the larger size relative to the smaller`;
  };
  return `Input size: on ${n.deviceId}, ${n.pairs.map(one).join('; ')}. An estimate for a network like it at another input size can be off by about that factor, beyond its range.`;
}

/** A model larger or smaller than every network the device's calibration measured: the fit is extrapolated. */
function outsideSpanSentence(n: Extract<EstimateNote, { kind: 'outside-training-span' }>): string {
  const tail = spanCheckSentence(n.check);
  if (n.side === 'none') {
    return n.measure === 'weight-bytes'
      ? `Outside the calibrated sizes: none of the ${n.points} published measurement${n.points === 1 ? '' : 's'} ${n.deviceId} is calibrated on is an LLM decode (all are networks run once per inference); the per-token time (${fmtBytes(n.value)} of weights read per token) rests on the prior memory efficiency.${tail}`
      : `Outside the calibrated sizes: all ${n.points} published measurement${n.points === 1 ? '' : 's'} ${n.deviceId} is calibrated on are LLM decodes; this network's compute (${fmtMacs(n.value)}MACs) rests on the prior compute efficiency.${tail}`;
  }
  const ratio = n.side === 'above' ? n.value / n.bound : n.value > 0 ? n.bound / n.value : null;
  const times = ratio === null ? '' : `${ratio >= 10 ? ratio.toFixed(0) : ratio.toFixed(1)}x `;
  const what = n.measure === 'macs' ? 'network' : 'language model';
  const size = (v: number) => (n.measure === 'macs' ? `${fmtMacs(v)}MACs` : `${fmtBytes(v)} of weights read per token`);
  const which = n.network ? `${n.network}, ` : '';
  const why = n.side === 'above'
    ? 'compute and memory traffic weigh more the larger the model, and their rates were fitted on smaller networks'
    : 'per-op dispatch and fixed costs weigh more the smaller the model, and they were fitted on larger networks where they mattered less';
  return `Outside the calibrated sizes: this model (${size(n.value)}) is ${times}${n.side === 'above' ? 'larger than the largest' : 'smaller than the smallest'} ${what} in the ${n.points} published ${n.measure === 'macs' ? 'network' : 'LLM decode'} measurement${n.points === 1 ? '' : 's'} ${n.deviceId} is calibrated on (${which}${size(n.bound)}); ${why}.${tail}`;
}

/** How the calibration's own checks covered estimates outside their device's span; said plainly, held-out and training apart. */
function spanCheckSentence(c: SpanCheck | null): string {
  if (!c || c.heldOutOutside.points === 0) return ' The range rests on points inside that span; expect a larger error than it says.';
  const pc = (x: { coverage: number }) => `${Math.round(x.coverage * 100)} %`;
  return ` In the calibration's own checks, ranges held ${pc(c.heldOutOutside)} of the ${c.heldOutOutside.points} held-out points outside their device's span (${pc(c.heldOutInside)} of the ${c.heldOutInside.points} inside)` +
    (c.trainingOutside.points ? ` and ${pc(c.trainingOutside)} of the ${c.trainingOutside.points} training points that, left out, lay outside their device's other points.` : '.');
}

/** How device ranges covered estimates for a runtime their device had no point of, in the calibration's cross-validation. */
function unmeasuredCheckSentence(c: UnmeasuredRuntimeCheck): string {
  const pct = Math.round(c.coverage * 100);
  const nominal = Math.round(RANGE_NOMINAL_COVERAGE * 100);
  return ` In the calibration's cross-validation, ${c.points} training points predicted without any point of their runtime on their device fell inside their device's range ${pct} % of the time${pct < nominal ? ` (nominal ${nominal} %): for a runtime without published points this range is likely too narrow; measure it on the device` : ''}.`;
}

/** What an estimate's runtime speed rests on when the runtime has no published point on the device. */
function unmeasuredRuntimeClause(runtime: string, deviceId: string, t: TransferredRuntimeFactor | null): string {
  if (!t) return `; runtime ${runtime} has no published point on ${deviceId} and no device of its kind measured it next to a runtime ${deviceId} has, so its speed is taken as the fitted device average`;
  const from = t.from.map((f) => `${f.device} (next to ${f.anchors.join(', ')})`).join(' and ');
  return `; runtime ${runtime} has no published point on ${deviceId}: its speed, ${t.factor.toFixed(2)}x the fitted device average, is carried over from ${from}, where it was measured, shrunk toward 1 by its ${t.points} point${t.points === 1 ? '' : 's'} there`;
}

/** Why a device fitted on few published network points has one fitted scale where others have two (calibration.json fewPointsScale). */
function fewPointsSentence(scale: 'compute' | 'overhead'): string {
  return scale === 'overhead'
    ? ` With fewer than ${OVERHEAD_FIT_MIN_POINTS} published points the fit does not separate per-op dispatch from compute: per-op dispatch is most of those measurements' estimated time, so the fitted per-op cost stands in for both and the compute scale stays at its prior.`
    : ` With fewer than ${OVERHEAD_FIT_MIN_POINTS} published points the fit does not separate per-op dispatch from compute: the fitted compute rate stands in for both, so the throughput quoted here carries whatever else those measurements spent time on.`;
}

/** How the range rule covered the device's own training points, each left out; said plainly when below its nominal level. */
function nestedSentence(c: NestedRangeCheck | null): string {
  if (!c || c.points === 0) return '';
  const nominal = Math.round(RANGE_NOMINAL_COVERAGE * 100);
  const below = c.coverage < RANGE_NOMINAL_COVERAGE;
  // One decimal where rounding would hide a shortfall (84.6 % is not 85 %).
  const pct = below && Math.round(c.coverage * 100) >= nominal ? (c.coverage * 100).toFixed(1) : String(Math.round(c.coverage * 100));
  return ` Of the ${c.points} training points its ranges rest on (a shared-silicon group's together), each left out in turn, ${pct} % fell inside the range the rule gave without it (nominal ${nominal} %, median width x${c.medianWidth.toFixed(2)})` +
    (below ? '; fewer than the rule claims, so expect more figures outside the range than its level says.' : '.');
}

/**
 * What the fit did on publications it had not seen (cross-validation by source), which is what a user meets on a
 * setup from a new source: the ranges come from residuals by point, so they can cover those far less often.
 */
function bySourceSentence(b: BySourceCheck | null): string {
  if (!b) return '';
  if (b.sources <= 1 || b.points === 0 || b.medianAbsLogError === null || b.coverage === null) {
    const sim = b.singleSourceSimulation;
    return ' Not checked on a publication the fit has not seen: all its points come from one source.' +
      (sim ? ` On the other devices, a range built from one publication covered ${Math.round(sim.coverage * 100)} % of another publication's points (${sim.points} points, single-source simulation), so expect about ${100 - Math.round(sim.coverage * 100)} % of a new source's figures outside this range.` : '');
  }
  return ` On a publication the fit had not seen (each of its ${b.sources} sources left out in turn, ${b.points} ${b.runtime ? `${b.runtime} ` : ''}points) the median error was x${Math.exp(b.medianAbsLogError).toFixed(2)} and this range covered ${Math.round(b.coverage * 100)} % of those points.`;
}

/** The deployed-graph summary in one sentence (what was folded or fused, what stayed and why). */
export function explainDeployed(d: DeployedSummary): string {
  const steps = Object.entries(d.steps).filter(([, n]) => n > 0).map(([k, n]) => `${n} ${(STEP_WORDS[k] ?? [k, k])[n === 1 ? 0 : 1]}`);
  let text = `Estimated on the graph ${d.toolchainName} runs: ${d.fileNodes} file node${d.fileNodes === 1 ? '' : 's'} → ${d.layers} layer${d.layers === 1 ? '' : 's'}`;
  text += steps.length ? ` (${steps.join(', ')})` : ' (nothing to fold or fuse)';
  const bound = Object.entries(d.assumedBindings);
  if (bound.length) text += `; shapes folded for ${bound.map(([k, v]) => `${k}=${v}`).join(', ')}, the fixed shape this toolchain compiles`;
  if (d.unfolded.length) text += `. Not folded: ${d.unfolded[0].reason}${d.unfolded.length > 1 ? ` (and ${d.unfolded.length - 1} more)` : ''}`;
  if (d.int8Float) {
    const { layers, ops } = d.int8Float;
    const named = ops.slice(0, 5).map((o) => `${o.op} ×${o.layers}`).join(', ') + (ops.length > 5 ? `, ${ops.length - 5} more op types` : '');
    text += `. At int8, ${layers} layer${layers === 1 ? ' stays' : 's stay'} in fp32 because this toolchain's int8 quantizer does not quantize ${layers === 1 ? 'its op' : 'their ops'} (${named}), each between a dequantize and a quantize`;
  }
  return `${text}.`;
}

/** The calibration note of a device without fitted points. */
export const UNCALIBRATED_NOTE =
  "no published benchmark of this device among those the estimator is calibrated on (vendors' and community latency figures, each cited in the project's calibration report) covers a network the reference models rebuild; the efficiency factors are uncalibrated priors";
