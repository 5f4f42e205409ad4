/**
 * What a latency figure is, said next to it: the user's own runs of this very configuration (edgeplan measure), an
 * estimate scaled by their runs of other configurations on the device, or an estimate. Measured and predicted figures
 * are never shown alike. The views (webview/lib/latency-origin-view.ts) and the exported documents (src/export/report.ts)
 * word the same precedence. Pure: no DOM, no `vscode` import.
 */
export interface LatencyOrigin {
  latencyMeasured?: { runs: number };
  latencyCorrected?: { runs: number; factor: number };
  /** Set when the model lies outside the sizes the device's calibration measured (DeviceEstimate.calibration). */
  calibration?: { outsideSpan?: { sentence: string } };
}

const runs = (n: number): string => `${n} run${n === 1 ? '' : 's'}`;

/** Which the figure is: measured beats corrected, corrected beats an extrapolated or plain estimate. */
export function latencyOriginKind(e: LatencyOrigin): 'measured' | 'corrected' | 'extrapolated' | 'estimate' {
  if (e.latencyMeasured) return 'measured';
  if (e.latencyCorrected) return 'corrected';
  return e.calibration?.outsideSpan ? 'extrapolated' : 'estimate';
}

export function latencyOriginText(e: LatencyOrigin): string {
  switch (latencyOriginKind(e)) {
    case 'measured':
      return `measured (${runs(e.latencyMeasured!.runs)})`;
    case 'corrected':
      return `estimate corrected by your ${runs(e.latencyCorrected!.runs)} (x${e.latencyCorrected!.factor.toFixed(2)})`;
    case 'extrapolated':
      return 'extrapolated estimate';
    case 'estimate':
      return 'estimate';
  }
}

/** The tooltip that says where the figure came from. */
export function latencyOriginTitle(e: LatencyOrigin): string {
  return e.latencyMeasured
    ? 'Your own runs of this model in this configuration (same file, precision, runtime and threads), recorded with edgeplan measure: low, geometric mean and high of the runs.'
    : e.latencyCorrected
      ? 'Estimated, then multiplied by the measured / estimated ratio of your runs on this device (edgeplan measure); the range keeps at least their spread.'
      : `Estimated from the model and the device catalog; no run of yours on this device is recorded in .edgeplan/measurements.json.${e.calibration?.outsideSpan ? ` ${e.calibration.outsideSpan.sentence}` : ''}`;
}
