/**
 * The catalog devices as the webviews offer them: each runtime with what its estimated speed rests on there
 * (calibration.json: its own published points on the device, or a speed carried over from a device of its kind).
 */
import type { CalibrationFile, DeviceSpec } from './catalog';
import type { DeviceChoice } from '../protocol';

export function deviceChoicesOf(devices: DeviceSpec[], calibration: CalibrationFile): DeviceChoice[] {
  return devices.map((d) => {
    const cal = calibration.devices[d.id];
    return {
      id: d.id,
      name: d.name,
      kind: d.kind,
      runtimes: d.runtimes.map((r) => ({
        id: r.id,
        name: r.name,
        default: !!r.default,
        // An uncalibrated device leaves both out: nothing of it rests on published points.
        ...(cal ? { publishedPoints: cal.runtimeEvidence?.[r.id]?.points ?? 0, carriedOver: !cal.runtimeEvidence?.[r.id] && !!cal.transferredRuntimeFactors?.[r.id] } : {}),
      })),
    };
  });
}
