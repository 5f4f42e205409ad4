/** Device selection (a checkbox list in a disclosure) and the wording of compatibility verdicts. */
import type { DeviceChoice } from '../../src/protocol';
import { h } from './dom';

let pickerOpen = false;
let pending: ReturnType<typeof setTimeout> | undefined;

/**
 * A disclosure with one checkbox per catalog device; changes are applied (debounced) through `onChange`,
 * in catalog order. The disclosure stays open across re-renders.
 */
export function devicePicker(devices: readonly DeviceChoice[], selected: readonly string[], onChange: (ids: string[]) => void, label = 'Devices'): HTMLElement {
  const chosen = new Set(selected);
  const names = devices.filter((d) => chosen.has(d.id)).map((d) => d.name);
  const details = h('details', { class: 'device-picker', 'data-testid': 'device-picker', open: pickerOpen });
  details.addEventListener('toggle', () => (pickerOpen = details.open));
  const list = h('fieldset', { class: 'device-list' }, h('legend', { class: 'sr-only' }, label));
  for (const d of devices) {
    const id = `dev-${d.id}`;
    const box = h('input', { type: 'checkbox', id, value: d.id, checked: chosen.has(d.id), 'data-testid': `device-option-${d.id}` });
    box.addEventListener('change', () => {
      if (box.checked) chosen.add(d.id);
      else chosen.delete(d.id);
      if (pending) clearTimeout(pending);
      pending = setTimeout(() => onChange(devices.filter((x) => chosen.has(x.id)).map((x) => x.id)), 250);
    });
    list.appendChild(h('div', { class: 'check' }, box, h('label', { for: id }, d.name, d.kind ? h('span', { class: 'muted small' }, ` ${d.kind}`) : null)));
  }
  details.appendChild(h('summary', {}, `${label}: ${names.length ? names.join(', ') : 'none selected'}`));
  details.appendChild(list);
  return details;
}

export function verdictLabel(v: 'full' | 'partial' | 'none' | 'unsupported'): { label: string; tone: 'good' | 'warn' | 'bad' } {
  switch (v) {
    case 'full':
      return { label: 'runs fully', tone: 'good' };
    case 'partial':
      return { label: 'partial fallback', tone: 'warn' };
    case 'none':
      return { label: 'not accelerated', tone: 'bad' };
    default:
      return { label: 'unsupported', tone: 'bad' };
  }
}
