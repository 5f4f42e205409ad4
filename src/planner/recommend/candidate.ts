/**
 * A candidate pipeline and what evaluating it found: its steps, the transformed profile, the re-run estimate
 * with the structured compatibility behind it, the expected accuracy drop, the effort, and the budget checks
 * with structured misses (judge.ts). Shared by the search, the judge and the explanations. Pure types.
 * No `vscode` import.
 */
import type { ModelProfile } from '../../analyzers/profile-types';
import type { DeviceSpec } from '../catalog';
import type { CompatibilityResult } from '../estimate/compatibility';
import type { DeviceCorrection } from '../estimate/measurements';
import type { BudgetCheck, Budgets, ComputePrecision, DeviceEstimate, Effort, Miss, Range, Technique } from '../types';
import type { DeviceClass, OpRewriteRule, Student } from './technique-table';
import type { ModelTraits } from './traits';

/** One step of a candidate pipeline, with the parameters its technique takes. */
export interface StepSpec {
  technique: Technique;
  perChannel?: boolean;
  fraction?: number;
  student?: Student;
  ops?: string[];
  runtime?: { id: string; name: string };
}

export interface Evaluated {
  steps: StepSpec[];
  profile: ModelProfile;
  /** Transform notes per step, in order. */
  changes: string[][];
  rewrites?: { op: string; rule: OpRewriteRule | null; layers: number }[];
  estimate: DeviceEstimate | null;
  /** The structured compatibility the estimate rests on (null without an estimate). */
  compatibility: CompatibilityResult | null;
  /** Why it cannot be estimated/run (estimator error, precision not supported). */
  error: string | null;
  accuracy: Range;
  effort: Effort;
  check: BudgetCheck;
  runs: boolean;
  meetsAll: boolean;
  misses: Miss[];
  /** Sum of log over-budget ratios (0 when everything fits); for ranking pipelines that miss. */
  distance: number;
}

/** What the user's setup adds to every estimate of a search: their measurements and their CPU thread count. */
export interface DeviceSetup {
  corrections?: ReadonlyMap<string, DeviceCorrection>;
  /** The model file as it is: a pipeline that leaves it unchanged (none, a runtime change) takes the runs that measured it (EstimateOptions.measuredModel). */
  measuredModel?: string;
  /** Threads the runtime's CPU kernels use (absent: every core). */
  cpuThreads?: number;
  /** The runtime the user deploys with on this device (a catalog runtime id; absent: the device's default). */
  runtime?: string;
}

/** What the search knows about the device, the budgets and the model, and the user's setup. */
export interface SearchContext extends DeviceSetup {
  spec: DeviceSpec;
  cls: DeviceClass;
  budgets: Budgets;
  traits: ModelTraits;
  basePrecision: ComputePrecision | undefined;
}

export function techniquesOf(ev: Evaluated): Technique[] {
  return ev.steps.map((s) => s.technique).filter((t) => t !== 'none');
}
