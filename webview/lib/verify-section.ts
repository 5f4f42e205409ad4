/**
 * "Verify on this machine" in the analysis view and the planner: the technique and data choice, the button with
 * progress and cancel, and what came back — the measured figures (each labelled measured, latency "this machine")
 * and the per-layer side-by-side of the original and the compressed model. Built with textContent only.
 */
import type { PlanVerification, VerifiedTechnique } from '../../src/planner/plan/verification';
import type { BenchmarkAvailability, ToWebview, VerifyView } from '../../src/protocol';
import { formatBytes, formatCount, formatMs, formatPercent as pct, formatPoints as points, formatSqnr } from '../../src/format-numbers';
import { button, h, replaceChildren, type Child } from './dom';
import { post } from './vscode-api';

export type VerifyState = Extract<ToWebview, { type: 'verify/state' }>;

export const VERIFY_TECHNIQUES: { id: VerifiedTechnique; label: string }[] = [
  { id: 'int8-ptq', label: 'INT8 static (QDQ, calibrated)' },
  { id: 'int8-dynamic', label: 'INT8 dynamic' },
  { id: 'fp16', label: 'FP16' },
  { id: 'int4-weight-only', label: 'INT4 weight-only' },
];

/** The controls; `sectionId` is the element the state renders into. */
export function verifyControls(availability: BenchmarkAvailability | undefined, defaultTechnique: VerifiedTechnique): HTMLElement {
  const available = availability?.available ?? false;
  const select = h('select', { id: 'verify-technique', 'data-testid': 'verify-technique', 'aria-label': 'Technique to verify', disabled: !available }) as HTMLSelectElement;
  for (const t of VERIFY_TECHNIQUES) select.appendChild(h('option', { value: t.id, selected: t.id === defaultTechnique }, t.label));
  const radio = (value: string, label: string, checked: boolean): HTMLElement =>
    h('label', { class: 'inline' }, h('input', { type: 'radio', name: 'verify-data', value, checked, 'data-testid': `verify-data-${value}`, disabled: !available }), ` ${label}`);
  const start = button(
    'Verify on this machine',
    () => {
      const data = (document.querySelector<HTMLInputElement>('input[name="verify-data"]:checked')?.value ?? 'synthetic') as 'synthetic' | 'folder';
      post({ type: 'verify/start', technique: select.value as VerifiedTechnique, data });
    },
    { 'data-testid': 'verify-start', disabled: !available, 'aria-describedby': available ? undefined : 'verify-reason' },
  );
  return h(
    'div',
    { class: 'verify-controls' },
    h('p', { class: 'muted small' }, 'Builds the compressed model next to this one and runs both on the same inputs in a separate process: what it loses on your data, per layer, and its size and latency on this computer (not the target).'),
    h('div', { class: 'toolbar' }, select, radio('synthetic', 'Synthetic inputs (fidelity only)', true), radio('folder', 'Choose a data folder…', false), start),
    available ? null : h('p', { id: 'verify-reason', class: 'muted small', 'data-testid': 'verify-reason' }, availability?.reason ?? ''),
    h('div', { id: 'verify-state', 'data-testid': 'verify-state' }),
  );
}

/** Renders a verify/state message (and the measurements the plan already holds) under the controls. */
export function renderVerifyState(state: VerifyState | undefined, saved: PlanVerification[] = []): void {
  const el = document.getElementById('verify-state');
  if (!el) return;
  const start = document.querySelector<HTMLButtonElement>('[data-testid="verify-start"]');
  if (start && state) start.disabled = state.state === 'running' || start.getAttribute('aria-describedby') === 'verify-reason';
  // Progress of a run already shown updates its text and bar in place: the Cancel button (and the status region a
  // screen reader follows) stays the same element instead of being rebuilt on every progress message, which made it
  // impossible to click while progress arrived quickly.
  if (state?.state === 'running' && el.dataset.running === 'yes' && updateProgress(el, state)) return;
  el.dataset.running = state?.state === 'running' ? 'yes' : 'no';
  const parts: Child[] = [];
  if (state?.state === 'running') {
    parts.push(
      h('p', { role: 'status', 'data-testid': 'verify-status' }, state.message ?? 'Running…'),
      state.fraction !== undefined ? h('progress', { max: 1, value: state.fraction, 'aria-label': 'Verification progress' }) : null,
      button('Cancel', () => post({ type: 'verify/cancel' }), { class: 'secondary', 'data-testid': 'verify-cancel' }),
    );
  } else if (state) parts.push(h('p', { class: state.state === 'error' ? 'error-text' : 'muted', role: 'status', 'data-testid': 'verify-status' }, state.message ?? state.state));
  const shown = new Set<string>();
  if (state?.result) {
    parts.push(measuredTable(state.result.verification), sideBySideTable(state.result));
    shown.add(state.result.verification.technique);
  }
  for (const v of saved) if (!shown.has(v.technique)) parts.push(measuredTable(v));
  replaceChildren(el, ...parts);
}

/** The running view's status text and progress bar, updated in place; false when the view has no such elements. */
function updateProgress(el: HTMLElement, state: VerifyState): boolean {
  const status = el.querySelector<HTMLElement>('[data-testid="verify-status"]');
  const cancel = el.querySelector('[data-testid="verify-cancel"]');
  if (!status || !cancel) return false;
  status.textContent = state.message ?? 'Running…';
  let bar = el.querySelector<HTMLProgressElement>('progress');
  if (state.fraction === undefined) bar?.remove();
  else {
    if (!bar) status.after((bar = h('progress', { max: 1, 'aria-label': 'Verification progress' }) as HTMLProgressElement));
    bar.value = state.fraction;
  }
  return true;
}

function row(figure: string, original: string, compressed: string): HTMLElement {
  return h('tr', {}, h('th', { scope: 'row' }, figure), h('td', { class: 'num' }, original), h('td', { class: 'num' }, compressed));
}

/** The measured figures of one technique, every figure labelled measured. */
export function measuredTable(v: PlanVerification): HTMLElement {
  const rows: HTMLElement[] = [
    row('Weight bytes (measured)', formatBytes(v.weightBytes.original), formatBytes(v.weightBytes.compressed)),
    row('File size (measured)', formatBytes(v.fileBytes.original), formatBytes(v.fileBytes.compressed)),
    row('Latency p50 / p95, this machine (measured)', `${formatMs(v.latencyMs.original.p50)} / ${formatMs(v.latencyMs.original.p95)} ms`, `${formatMs(v.latencyMs.compressed.p50)} / ${formatMs(v.latencyMs.compressed.p95)} ms`),
  ];
  if (v.accuracy) rows.push(row('Accuracy (measured)', pct(v.accuracy.original), `${pct(v.accuracy.compressed)} — drop ${points(v.accuracy.drop)} points (95 % interval ${points(v.accuracy.dropCi95[0])} to ${points(v.accuracy.dropCi95[1])})`));
  if (v.top1Agreement !== null) rows.push(row('Top-1 agreement (measured)', '', pct(v.top1Agreement)));
  for (const o of v.outputs) rows.push(row(`Output "${o.name}" SQNR (measured)`, '', `${formatSqnr(o.sqnrDb)}, cosine ${o.cosine.toFixed(4)}`));
  for (const g of v.groups) rows.push(row(`Group "${g.group}" accuracy (measured, ${g.samples})`, pct(g.original), `${pct(g.compressed)} — drop ${points(g.drop)} points`));
  if (v.groupGap) rows.push(row('Gap between groups (measured)', `${points(v.groupGap.gapOriginal)} points`, `${points(v.groupGap.gapCompressed)} points${v.groupGap.widened ? ' — widened' : ''}`));
  return h(
    'div',
    { class: 'measured', 'data-testid': 'measured-table', 'data-technique': v.technique },
    h('h3', {}, `${v.technique}: measured ${v.date} on ${v.data.source === 'synthetic' ? 'synthetic inputs (fidelity only)' : `${v.data.evaluationSamples} samples of your data`}`),
    // Wide tables scroll inside the form column instead of running under the estimates beside it.
    h('div', { class: 'table-scroll wide' }, h('table', { class: 'data' }, h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, ''), h('th', { scope: 'col' }, 'Original'), h('th', { scope: 'col' }, v.technique))), h('tbody', {}, ...rows))),
    h('p', { class: 'muted small' }, `Compressed file: ${v.compressedFile}. This machine: ${v.machine}.`),
    v.notes.length ? h('details', { class: 'small', 'data-testid': 'measured-notes' }, h('summary', {}, `Notes from the measurement (${v.notes.length})`), h('ul', {}, ...v.notes.map((n) => h('li', {}, n)))) : null,
  );
}

/** Per weight layer: original and compressed, measured sensitivity, estimated ms on the primary target. */
export function sideBySideTable(view: VerifyView): HTMLElement {
  const est = view.primaryDevice ? `est. ms on ${view.primaryDevice} (predicted)` : 'est. ms (predicted)';
  const side = (x: VerifyView['layers'][number]['original'] | null): Child[] => (x ? [x.dtype, formatCount(x.params), formatBytes(x.weightBytes), x.ms === null ? '—' : formatMs(x.ms)] : ['—', '—', '—', '—']);
  return h(
    'details',
    { class: 'side-by-side', 'data-testid': 'side-by-side', open: true },
    h('summary', {}, `Original and compressed, per layer (${view.layers.length} weight layers, heaviest first)`),
    h(
      'div',
      { class: 'table-scroll wide' },
      h(
        'table',
        { class: 'data small' },
        h(
          'thead',
          {},
          h('tr', {}, h('th', { colspan: 2 }, ''), h('th', { colspan: 4, scope: 'colgroup' }, 'Original'), h('th', { colspan: 4, scope: 'colgroup' }, `Compressed (${view.verification.technique})`), h('th', {}, '')),
          h('tr', {}, ...['Layer', 'Op', 'Type', 'Params', 'Weights', est, 'Type', 'Params', 'Weights', est, 'SQNR lost dB (measured)'].map((c) => h('th', { scope: 'col' }, c))),
        ),
        h('tbody', {}, ...view.layers.map((l) => h('tr', {}, h('th', { scope: 'row' }, l.layer), h('td', {}, l.op), ...side(l.original).map((c) => h('td', { class: 'num' }, c)), ...side(l.compressed).map((c) => h('td', { class: 'num' }, c)), h('td', { class: 'num' }, l.sensitivityDb === null ? '—' : l.sensitivityDb.toFixed(1))))),
      ),
    ),
  );
}
