/** The runtime choice of a device in the analysis and comparison views (the CLI's --runtime). */
import type { DeviceChoice } from '../../src/protocol';
import { h } from './dom';
import { runtimeBasis, runtimeMark } from './runtime-basis';

/**
 * A select of the device's catalog runtimes with `current` selected; a change calls `onChange` with the runtime id,
 * or null for the device's default. Nothing to choose (null) when the device has a single runtime.
 */
export function runtimeField(device: DeviceChoice | undefined, current: string, idPrefix: string, onChange: (runtime: string | null) => void): HTMLElement | null {
  const runtimes = device?.runtimes ?? [];
  if (!device || runtimes.length < 2) return null;
  const id = `${idPrefix}-runtime-${device.id}`;
  const select = h('select', { id, 'data-testid': `${idPrefix}-runtime`, 'data-device': device.id }, ...runtimes.map((r) => h('option', { value: r.id, selected: r.id === current, title: runtimeBasis(r) }, `${r.name}${r.default ? ' (default)' : ''}${runtimeMark(r)}`))) as HTMLSelectElement;
  select.addEventListener('change', () => onChange(runtimes.find((r) => r.id === select.value)?.default ? null : select.value));
  return h('span', { class: 'field small runtime-field' }, h('label', { for: id }, 'Runtime '), select);
}

