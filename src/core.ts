/**
 * The core as one bundle (dist/core.js) that the VS Code layer loads on first use, so activating the
 * extension parses only the thin host code. The CLI bundles the same modules directly.
 */
export { analyzeFile, ModelFileError, AnalysisCancelled } from './analyzers';
export { loadCalibration, loadCatalog } from './planner/catalog';
export { deviceChoicesOf } from './planner/device-choices';
export { cpuThreadsFor, estimateDevice, EstimateInputError } from './planner/estimate';
export { recommend } from './planner/recommend';
export { buildPlanDocument, planRuntimeFor } from './planner/plan/document';
export { benchmarkModel } from './measure';
export { verifyModel } from './measure/verify';
export { sideBySide } from './measure/verify/side-by-side';
export { verificationFromReport, withVerification } from './planner/plan/verification';
export { applyMeasured } from './planner/recommend/measured';
export * as exporters from './export';
export { readStore as readMeasurementStore, corrections as measurementCorrections } from './planner/estimate/measurements';
