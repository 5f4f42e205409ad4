/**
 * The operational plan the recommender insists on: how to calibrate, audit, test, roll out and fall back
 * once a compressed model exists. Items depend on the chosen pipeline and the target.
 * No `vscode` import.
 */
import type { Budgets, Technique } from '../types';
import type { DeviceClass } from './technique-table';

export interface OperationsInput {
  techniques: Technique[];
  deviceClass: DeviceClass | null;
  deviceName: string;
  budgets: Budgets;
  /** Predicted accuracy drop (typical, points) of the chosen pipeline. */
  accuracyDropTypical: number;
  /** True when no pipeline meets the budgets on the chosen device. */
  noFit: boolean;
}

const QUANTIZING: ReadonlySet<Technique> = new Set(['int8-ptq', 'int8-qat', 'int8-dynamic', 'int4-weight-only', 'fp16']);
const RETRAINING: ReadonlySet<Technique> = new Set(['int8-qat', 'structured-pruning', 'sparsity', 'distillation', 'low-rank']);

export function operationalPlan(input: OperationsInput): string[] {
  const t = new Set(input.techniques.filter((x) => x !== 'none'));
  const ops: string[] = [];
  const compressed = t.size > 0;

  if (t.has('int8-ptq') || t.has('int8-qat')) {
    ops.push(
      'Calibration set coverage: draw the 300-500 calibration samples from production-like data stratified across every user group, device/sensor variant, lighting/noise condition and class; a calibration set that misses a group sets activation ranges that clip that group\'s inputs.',
    );
  }
  if (t.has('int4-weight-only') && !t.has('int8-ptq')) {
    ops.push('Calibration for GPTQ/AWQ (if used instead of round-to-nearest): 128+ sequences drawn from every language, domain and user group the model serves.');
  }
  if (compressed) {
    ops.push(
      `Fairness re-audit of the compressed model: evaluate the original and the compressed model on the same held-out set broken down by user group; compression error is not spread evenly, so check that no group's accuracy drops by more than the accepted ${input.budgets.accuracyDrop ?? 1} points (and the gap between groups does not widen).`,
    );
    ops.push(
      `Accuracy gate before rollout: the compressed model must stay within ${input.budgets.accuracyDrop ?? 1} points of the original on the full validation set (predicted drop ≈${input.accuracyDropTypical.toFixed(1)} points); measure it, do not rely on the estimate.`,
    );
  }
  if (RETRAINING.has([...t].find((x) => RETRAINING.has(x)) as Technique)) {
    ops.push('Retraining hygiene: keep the original training/validation split, version the fine-tuning data and hyper-parameters with the model, and re-run the original acceptance tests on the retrained model.');
  }
  ops.push(
    `On-device A/B test on ${input.deviceName}: run the candidate next to the current model on a held-out share of real devices; compare p50/p95 latency, peak memory, energy per inference, crash rate and task metrics before widening the rollout.`,
  );
  ops.push(
    'Staged OTA rollout: 1 % (canary) → 10 % → 100 % of the fleet, each stage gated on crash rate, p95 latency within budget and on-device accuracy/confidence; models are signed at build time and the device verifies the signature before loading.',
  );
  ops.push('Automatic rollback: keep the previous model on the device and switch back automatically when crash rate, p95 latency or the confidence distribution leave the stage criteria.');
  ops.push(
    'Confidence-gated offloading: when the edge model\'s confidence is below a threshold set on validation data (e.g. the score below which its error rate exceeds the original model\'s), send the request to the full model on a server (where privacy allows) or ask the user, and log the rate of offloaded requests.',
  );
  ops.push('Monitoring: p95 latency, memory, thermal throttling, battery/energy, confidence distribution and input drift per device model; alert on drift against the calibration set statistics.');
  if (input.deviceClass === 'edgetpu') {
    ops.push('Edge TPU: pin the compiler and runtime versions (a model compiled by a newer edgetpu_compiler needs a matching libedgetpu), check the compiler log for ops left on the CPU after every model change, and use a powered USB 3 port.');
  }
  if (input.deviceClass === 'gpu-tensorrt') {
    ops.push('TensorRT: build the engine on the device (or an identical JetPack), cache it, and rebuild after every JetPack/TensorRT upgrade; pin the power mode the budgets assume.');
  }
  if (input.deviceClass === 'mcu') {
    ops.push('MCU: measure the tensor arena once on the board and leave a margin; reserve flash for a second model slot so an OTA update can fall back to the previous image.');
  }
  if (input.deviceClass === 'ane' || input.deviceClass === 'htp') {
    ops.push('Phone NPUs: verify on device that every layer runs on the NPU (Xcode Performance report / QNN profiling); silent fallbacks to the CPU or GPU change latency and energy.');
  }
  if (input.noFit) {
    ops.push('No pipeline meets every budget on this device: revisit the budgets with the product owner, or plan for one of the alternative devices listed, before committing engineering time.');
  }
  return ops;
}
