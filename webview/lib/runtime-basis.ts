/** What a runtime's estimated speed rests on, as the runtime fields say it (no DOM: shared with the tests). */
import type { RuntimeChoice } from '../../src/protocol';

/** A short mark of what a runtime's estimated speed rests on, after its name in the list. */
export function runtimeMark(r: RuntimeChoice): string {
  if (r.publishedPoints === undefined) return '';
  if (r.publishedPoints > 0) return ` · ${r.publishedPoints} published point${r.publishedPoints === 1 ? '' : 's'}`;
  return r.carriedOver ? ' · speed from a similar device' : ' · no published point';
}

/** The same in a sentence (the option's tooltip). */
export function runtimeBasis(r: RuntimeChoice): string {
  if (r.publishedPoints === undefined) return 'No published measurement calibrates this device: its estimates use the priors and the widest range.';
  if (r.publishedPoints > 0) return `Its speed and range on this device are fitted on ${r.publishedPoints} published measurement${r.publishedPoints === 1 ? '' : 's'} (docs/CALIBRATION.md).`;
  return r.carriedOver
    ? 'No published measurement of it on this device: its speed is carried over from a device of the same kind where it was measured next to a runtime both have, and it takes the device\'s range.'
    : 'No published measurement of it on this device or a similar one: it is estimated at the device average, with the device\'s range.';
}
