/** The CPU threads field of the analysis and comparison views (the CLI's --threads). */
import { h } from './dom';
import { isThreadCount, MAX_CPU_THREADS } from '../../src/planner/threads';

/**
 * The CPU threads the estimates assume: applied when the field changes (Enter or leaving it), empty = every core;
 * anything but a whole number from 1 to MAX_CPU_THREADS is refused next to the field and nothing is sent.
 */
export function threadsField(current: number | null, onApply: (cpuThreads: number | null) => void): HTMLElement {
  const input = h('input', { type: 'text', id: 'cpu-threads', inputmode: 'numeric', autocomplete: 'off', size: 6, placeholder: 'every core', 'data-testid': 'cpu-threads', 'aria-describedby': 'cpu-threads-hint cpu-threads-error' });
  input.value = current === null ? '' : String(current);
  const error = h('p', { class: 'field-error', id: 'cpu-threads-error', 'data-testid': 'cpu-threads-error', role: 'alert' });
  input.addEventListener('change', () => {
    const t = input.value.trim();
    const n = Number(t);
    if (t !== '' && !isThreadCount(n)) {
      error.textContent = `CPU threads: a whole number from 1 to ${MAX_CPU_THREADS}, or empty for every core.`;
      return;
    }
    error.textContent = '';
    onApply(t === '' ? null : n);
  });
  return h(
    'div',
    { class: 'field threads-field', 'data-testid': 'threads-field' },
    h('label', { for: 'cpu-threads' }, 'CPU threads '),
    input,
    h('span', { class: 'hint muted small', id: 'cpu-threads-hint' }, " Threads your runtime's CPU kernels use (empty = every core; TF Lite's Python Interpreter without num_threads uses 1). Scales the CPU's compute rate on boards with an application CPU."),
    error,
  );
}
