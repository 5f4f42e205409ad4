/**
 * The analysis view (panel and read-only model editor): summary, per-device cards, chart, per-layer table,
 * benchmark. All DOM is built with textContent (webview/lib/dom.ts); state survives hide/show via setState.
 */
import { MAX_BINDING, MAX_LAYER_ROWS, MIN_BINDING, type AnalysisViewModel, type BenchmarkView, type DeviceChoice, type DeviceResult, type ToWebview } from '../src/protocol';
import type { ModelProfile } from '../src/analyzers/profile-types';
import { formatBytes, formatCount, formatMs, formatShape } from '../src/format-numbers';
import { button, h, replaceChildren, type Child } from './lib/dom';
import { latencyOrigin } from './lib/latency-origin-view';
import { getState, post, setState, start } from './lib/vscode-api';
import { renderChart } from './lib/chart';
import { deployedRows, filterRows, layerRows, sortRows, type DeployedRow, type DeployedSortKey, type LayerRow, type SortKey } from './lib/layers';
import { fromText } from '../src/planner/estimate/layer-times';
import { explainDeployed } from '../src/planner/estimate/explain';
import { devicePicker, verdictLabel } from './lib/devices';
import { bindingRows, bindingsChanged, collectBindings } from './lib/bindings';
import { renderVerifyState, verifyControls, type VerifyState } from './lib/verify-section';
import { threadsField } from './lib/threads-field';
import { runtimeField } from './lib/runtime-field';

interface ViewState {
  resource: string;
  sortKey: SortKey;
  sortDir: 'asc' | 'desc';
  /** The layers table: the file's layers, or the layers the chosen device (layerDevice) runs. */
  layerView: 'file' | 'deployed';
  runSortKey: DeployedSortKey;
  runSortDir: 'asc' | 'desc';
  filter: string;
  layerDevice: string;
  onlyDominant: boolean;
  showAllLayers: boolean;
  /** The symbolic dimension sizes of the shown figures; the host restores the panel with them after a reload. */
  bindings?: Record<string, number>;
}

const app = document.getElementById('app') as HTMLElement;
let view: AnalysisViewModel | undefined;
let benchmark: Extract<ToWebview, { type: 'benchmark/state' }> | undefined;
let verify: VerifyState | undefined;
const saved = getState<ViewState>();
const ui: ViewState = {
  resource: saved.resource ?? '',
  sortKey: saved.sortKey ?? 'index',
  sortDir: saved.sortDir ?? 'asc',
  layerView: saved.layerView === 'deployed' ? 'deployed' : 'file',
  runSortKey: saved.runSortKey ?? 'index',
  runSortDir: saved.runSortDir ?? 'asc',
  filter: saved.filter ?? '',
  layerDevice: saved.layerDevice ?? '',
  onlyDominant: saved.onlyDominant ?? false,
  showAllLayers: saved.showAllLayers ?? false,
  bindings: saved.bindings,
};
const saveUi = (): void => setState(ui);

const LAYER_PAGE = 300;

start((msg) => {
  switch (msg.type) {
    case 'analysis/loading':
      renderLoading(msg.file, msg.message, msg.fraction);
      return;
    case 'analysis/error':
      renderError(msg.file, msg.message, msg.canReopenAsText);
      return;
    case 'analysis/result':
      view = msg.view;
      ui.resource = msg.view.resource;
      ui.bindings = msg.view.result.model.dynamicShapes.symbols.length ? { ...msg.view.result.model.dynamicShapes.bindings } : undefined;
      if (!msg.view.selectedDevices.includes(ui.layerDevice)) ui.layerDevice = msg.view.selectedDevices[0] ?? '';
      saveUi();
      render();
      return;
    case 'analysis/estimates':
      if (!view) return;
      view = { ...view, selectedDevices: msg.selectedDevices, cpuThreads: msg.cpuThreads, runtimes: msg.runtimes, results: msg.results };
      if (!msg.selectedDevices.includes(ui.layerDevice)) ui.layerDevice = msg.selectedDevices[0] ?? '';
      saveUi();
      render();
      return;
    case 'benchmark/state':
      benchmark = msg;
      renderBenchmark();
      return;
    case 'verify/state':
      verify = msg;
      renderVerifyState(verify);
      return;
    case 'analysis/bindError':
      showBindingErrors(msg.errors);
      return;
    default:
      post({ type: 'log', level: 'warn', message: `analysis view: unexpected message ${msg.type}` });
  }
});

function renderLoading(file: string, message: string, fraction: number | undefined): void {
  const pct = fraction === undefined ? undefined : Math.round(fraction * 100);
  replaceChildren(
    app,
    h('h1', { class: 'title' }, file),
    h('p', { class: 'status', role: 'status', 'data-testid': 'loading' }, message),
    pct === undefined ? null : h('progress', { max: 100, value: pct, 'aria-label': 'Analysis progress' }),
  );
}

function renderError(file: string, message: string, canReopenAsText: boolean): void {
  replaceChildren(
    app,
    h('h1', { class: 'title' }, file),
    h('div', { class: 'error-box', role: 'alert', 'data-testid': 'analysis-error' }, h('strong', {}, 'Cannot analyze this file. '), message),
    h(
      'div',
      { class: 'toolbar' },
      button('Try again', () => post({ type: 'analysis/retry' }), { 'data-testid': 'retry' }),
      canReopenAsText ? button('Reopen With Text Editor', () => post({ type: 'analysis/reopenAsText' }), { 'data-testid': 'reopen-as-text', class: 'secondary' }) : null,
      button('Show Log', () => post({ type: 'showLog' }), { class: 'secondary' }),
    ),
  );
}

function render(): void {
  if (!view) return;
  const m = view.result.model;
  const fileName = view.file.split('/').pop() ?? view.file;
  replaceChildren(
    app,
    h(
      'header',
      { class: 'view-header' },
      h('h1', { class: 'title' }, fileName, ' ', h('span', { class: 'badge', 'data-testid': 'format' }, m.format.toUpperCase())),
      h('p', { class: 'muted' }, view.file),
      toolbar(view),
    ),
    section('Summary', 'summary', summary(m)),
    m.dynamicShapes.symbols.length ? section('Dynamic dimensions', 'bindings', bindingsForm(m)) : null,
    warnings(view.result.warnings),
    section('Inputs and outputs', 'io', ioTable(m)),
    section('Devices', 'devices', devicesSection(view)),
    section('Layers', 'layers', h('div', { id: 'layers-body' })),
    h('section', { id: 'benchmark-section', 'aria-labelledby': 'benchmark-heading', 'data-testid': 'benchmark-section' }),
    section('Verify on this machine', 'verify', verifyControls(view.verify, 'int8-ptq')),
  );
  renderLayers();
  renderBenchmark();
  renderVerifyState(verify);
}

function section(title: string, id: string, ...body: Child[]): HTMLElement {
  return h('section', { 'aria-labelledby': `${id}-heading`, 'data-testid': `section-${id}` }, h('h2', { id: `${id}-heading` }, title), ...body);
}

function toolbar(v: AnalysisViewModel): HTMLElement {
  const bench = button('Benchmark on this machine', () => post({ type: 'analysis/benchmark' }), {
    'data-testid': 'benchmark',
    disabled: !v.benchmark.available,
    'aria-describedby': v.benchmark.available ? undefined : 'benchmark-reason',
    class: 'secondary',
  });
  const planner = button('Open Deployment Planner', () => post({ type: 'analysis/openPlanner' }), {
    'data-testid': 'open-planner',
    disabled: !v.planner.available,
    'aria-describedby': v.planner.available ? undefined : 'planner-reason',
  });
  return h(
    'div',
    { class: 'toolbar' },
    planner,
    bench,
    !v.planner.available ? h('p', { id: 'planner-reason', class: 'muted small', 'data-testid': 'planner-reason' }, v.planner.reason ?? '') : null,
    !v.benchmark.available ? h('p', { id: 'benchmark-reason', class: 'muted small', 'data-testid': 'benchmark-reason' }, v.benchmark.reason ?? '') : null,
  );
}

function fact(label: string, value: Child, testid: string): HTMLElement[] {
  return [h('dt', {}, label), h('dd', { 'data-testid': testid }, value)];
}

function summary(m: ModelProfile): HTMLElement {
  const dtypes = Object.entries(m.weightDtypes)
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `${k} ${formatBytes(v)}`)
    .join(', ');
  const q = m.quantization;
  const dyn = m.dynamicShapes;
  const topOps = Object.entries(m.opHistogram)
    .sort((a, b) => b[1] - a[1])
    .slice(0, 8)
    .map(([k, v]) => `${k} ×${v}`)
    .join(', ');
  const dl = h('dl', { class: 'facts' });
  const items: HTMLElement[] = [
    ...fact('Format', m.format.toUpperCase() + (m.irVersion !== undefined ? ` (IR ${m.irVersion})` : ''), 'summary-format'),
    ...fact('File size', formatBytes(m.bytes), 'summary-bytes'),
    ...fact('Parameters', formatCount(m.params), 'summary-params'),
    ...fact('Weights', `${formatBytes(m.weightBytes)}${dtypes ? ` — ${dtypes}` : ''}`, 'summary-weights'),
    ...fact('MACs', m.macs === null ? `unknown${m.macsUnknownReason ? ` (${m.macsUnknownReason})` : ''}` : m.macsLowerBoundReason ? `≥ ${formatCount(m.macs)} (a lower bound: ${m.macsLowerBoundReason})` : formatCount(m.macs), 'summary-macs'),
    ...fact('FLOPs (non-MAC)', m.flops === null ? 'unknown' : formatCount(m.flops), 'summary-flops'),
    ...fact('Peak activation memory', m.peakActivationBytes === null ? 'unknown' : `${formatBytes(m.peakActivationBytes)}${m.peakActivationAt ? ` at ${m.peakActivationAt}` : ''}`, 'summary-peak'),
    ...fact('Operators', `${formatCount(m.operatorCount)}${topOps ? ` — ${topOps}` : ''}`, 'summary-ops'),
    ...fact('Quantization', `${q.state}${q.perChannel ? ', per-channel' : ''}${q.quantizedOps ? `, ${q.quantizedOps} quantized ops` : ''}${q.notes.length ? ` — ${q.notes.join('; ')}` : ''}`, 'summary-quantization'),
    ...fact(
      'Dynamic shapes',
      dyn.hasDynamic ? `${dyn.symbols.join(', ') || 'unknown dimensions'} — bound to ${Object.entries(dyn.bindings).map(([k, v]) => `${k}=${v}`).join(', ') || '1'} for these figures` : 'none (all input shapes fixed)',
      'summary-dynamic',
    ),
  ];
  if (!m.hasComputeGraph) items.push(...fact('Compute graph', 'none in this file: MACs and activations cannot be known from the weights alone', 'summary-graph'));
  if (m.compiledSegments.length) items.push(...fact('Compiled segments', m.compiledSegments.map((c) => `${c.kind} (${formatBytes(c.payloadBytes)})`).join(', '), 'summary-compiled'));
  if (m.opset) items.push(...fact('Opsets', Object.entries(m.opset).map(([k, v]) => `${k} ${v}`).join(', '), 'summary-opset'));
  for (const el of items) dl.appendChild(el);
  return dl;
}

/**
 * One number field per symbolic input dimension; "Apply" (or Enter) re-runs the analysis with those sizes.
 * Each field's problem shows next to it (aria-describedby), and the first bad field gets the focus.
 */
function bindingsForm(m: ModelProfile): HTMLElement {
  const rows = bindingRows(m.dynamicShapes);
  const fields = rows.map((r, i) => {
    const id = `bind-${i}`;
    const input = h('input', {
      id,
      type: 'number',
      inputmode: 'numeric',
      min: MIN_BINDING,
      max: MAX_BINDING,
      step: 1,
      value: r.value,
      required: true,
      'data-symbol': r.symbol,
      'data-testid': `bind-${r.symbol}`,
      'aria-describedby': `${id}-error`,
    });
    input.addEventListener('input', () => setBindingError(input, collectBindings([{ symbol: r.symbol, text: input.value }])));
    return h(
      'div',
      { class: 'field binding' },
      h('label', { for: id }, h('code', {}, r.symbol)),
      input,
      h('p', { class: 'field-error', id: `${id}-error`, 'aria-live': 'polite', 'data-testid': `bind-error-${r.symbol}` }),
    );
  });
  const status = h('p', { class: 'muted small', id: 'bindings-status', role: 'status', 'data-testid': 'bindings-status' });
  const form = h(
    'form',
    { class: 'bindings', novalidate: true, 'data-testid': 'bindings-form', 'aria-describedby': 'bindings-hint' },
    h('p', { class: 'muted small', id: 'bindings-hint' }, `Sizes used for the symbolic input dimensions (whole numbers, ${MIN_BINDING}–${MAX_BINDING.toLocaleString('en-US')}), as edgeplan --bind NAME=N. The planner uses the same sizes.`),
    h('div', { class: 'binding-fields' }, ...fields),
    h('div', { class: 'toolbar' }, h('button', { type: 'submit', 'data-testid': 'bindings-apply' }, 'Apply'), status),
  );
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    applyBindings(form, m);
  });
  return form;
}

function bindingInputs(): HTMLInputElement[] {
  return [...document.querySelectorAll<HTMLInputElement>('input[data-symbol]')];
}

function setBindingError(input: HTMLInputElement, r: ReturnType<typeof collectBindings>): void {
  const slot = document.getElementById(`${input.id}-error`);
  const message = r.ok ? '' : (r.errors[0]?.message ?? '');
  if (slot) slot.textContent = message;
  if (message) input.setAttribute('aria-invalid', 'true');
  else input.removeAttribute('aria-invalid');
}

function applyBindings(form: HTMLFormElement, m: ModelProfile): void {
  const inputs = bindingInputs();
  const r = collectBindings(inputs.map((i) => ({ symbol: i.dataset.symbol ?? '', text: i.value })));
  for (const input of inputs) setBindingError(input, r.ok ? r : { ok: false, errors: r.errors.filter((e) => e.symbol === input.dataset.symbol) });
  const status = form.querySelector<HTMLElement>('#bindings-status');
  if (!r.ok) {
    if (status) status.textContent = 'Fix the sizes marked above.';
    inputs.find((i) => i.getAttribute('aria-invalid') === 'true')?.focus();
    return;
  }
  if (!bindingsChanged(m.dynamicShapes.bindings, r.bindings)) {
    if (status) status.textContent = 'These are the sizes already in use.';
    return;
  }
  if (status) status.textContent = 'Analyzing again with these sizes…';
  post({ type: 'analysis/bind', bindings: r.bindings });
}

/** The host refused the bindings: each message goes next to its field (or under the form). */
function showBindingErrors(errors: { symbol: string; message: string }[]): void {
  const inputs = bindingInputs();
  let first: HTMLInputElement | undefined;
  const general: string[] = [];
  for (const e of errors) {
    const input = inputs.find((i) => i.dataset.symbol === e.symbol);
    if (!input) {
      general.push(e.message);
      continue;
    }
    setBindingError(input, { ok: false, errors: [e] });
    first ??= input;
  }
  const status = document.getElementById('bindings-status');
  if (status) status.textContent = general.length ? general.join(' ') : 'Fix the sizes marked above.';
  first?.focus();
}

function warnings(list: string[]): HTMLElement | null {
  if (!list.length) return null;
  return section('Warnings', 'warnings', h('ul', { class: 'warnings', 'data-testid': 'warnings' }, ...list.map((w) => h('li', {}, w))));
}

function ioTable(m: ModelProfile): HTMLElement {
  const row = (kind: string, io: ModelProfile['inputs'][number]): HTMLElement =>
    h('tr', {}, h('td', {}, kind), h('td', {}, io.name), h('td', {}, io.dtype), h('td', { class: 'mono' }, formatShape(io.shape)), h('td', {}, io.quant ? `scale ${io.quant.scale.slice(0, 3).join(', ')}, zero point ${io.quant.zeroPoint.slice(0, 3).join(', ')}` : ''));
  return h(
    'table',
    { class: 'data', 'data-testid': 'io-table' },
    h('thead', {}, h('tr', {}, ...['', 'Name', 'Type', 'Shape', 'Quantization'].map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, ...m.inputs.map((i) => row('input', i)), ...m.outputs.map((o) => row('output', o))),
  );
}

function devicesSection(v: AnalysisViewModel): HTMLElement {
  const picker = devicePicker(v.devices, v.selectedDevices, (ids) => post({ type: 'analysis/selectDevices', deviceIds: ids }));
  const cards = h('div', { class: 'cards', 'data-testid': 'device-cards' }, ...v.results.map((r) => deviceCard(r, v.devices.find((d) => d.id === r.device))));
  const ok = v.results.filter((r) => r.estimate);
  return h(
    'div',
    {},
    picker,
    threadsField(v.cpuThreads, (cpuThreads) => post({ type: 'analysis/setThreads', cpuThreads })),
    v.results.length === 0 ? h('p', { class: 'muted' }, 'No device selected: choose devices above.') : cards,
    ok.length ? h('figure', { class: 'chart-figure' }, renderChart(v.results), h('figcaption', { class: 'muted small' }, 'Ranges come from the estimator’s efficiency assumptions; see each card’s assumptions.')) : null,
  );
}

const runtimeParagraph = (field: HTMLElement | null): HTMLElement | null => (field ? h('p', {}, field) : null);

function deviceCard(r: DeviceResult, device: DeviceChoice | undefined): HTMLElement {
  const e = r.estimate;
  if (!e) {
    return h('article', { class: 'card', 'data-testid': 'device-card', 'data-device': r.device }, h('h3', {}, r.device), h('p', { class: 'error-text' }, r.error ?? 'No estimate.'));
  }
  const mem = e.memory;
  const fits = mem.fits === null ? 'fit unknown' : mem.fits ? 'fits' : 'does not fit';
  const fitsClass = mem.fits === false ? 'bad' : mem.fits ? 'good' : 'warn';
  const verdict = verdictLabel(e.compatibility.verdict);
  return h(
    'article',
    { class: 'card', 'data-testid': 'device-card', 'data-device': e.device, 'aria-label': e.deviceName },
    h('h3', {}, e.deviceName),
    h('p', { class: 'muted small' }, `${e.runtime} · ${e.precision} · bottleneck: ${e.bottleneck}`),
    runtimeParagraph(runtimeField(device, e.runtime, 'card', (runtime) => post({ type: 'analysis/setRuntime', deviceId: e.device, runtime }))),
    h(
      'dl',
      { class: 'facts compact' },
      h('dt', {}, 'Latency'),
      h('dd', { 'data-testid': 'card-latency' }, `${formatMs(e.latencyMs.typical)} ms`, h('span', { class: 'muted' }, ` (${formatMs(e.latencyMs.low)}–${formatMs(e.latencyMs.high)}) `), latencyOrigin(e)),
      h('dt', {}, 'Memory'),
      h('dd', { 'data-testid': 'card-memory' }, h('span', { class: `pill ${fitsClass}`, 'data-testid': 'card-fits' }, fits), ` ${formatBytes(mem.totalBytes)}${mem.limitBytes !== null ? ` of ${formatBytes(mem.limitBytes)}` : ''}`),
      mem.flash ? h('dt', {}, 'Flash') : null,
      mem.flash ? h('dd', {}, `${formatBytes(mem.flash.neededBytes)}${mem.flash.limitBytes !== null ? ` of ${formatBytes(mem.flash.limitBytes)}` : ''}${mem.flash.fits === false ? ' — does not fit' : ''}`) : null,
      h('dt', {}, 'Energy'),
      h('dd', { 'data-testid': 'card-energy' }, e.energyMj ? `${formatMs(e.energyMj.typical)} mJ (${formatMs(e.energyMj.low)}–${formatMs(e.energyMj.high)})` : 'unknown'),
      h('dt', {}, 'Power'),
      h('dd', {}, e.powerW ? `${formatMs(e.powerW.typical)} W` : 'unknown'),
      h('dt', {}, 'Compatibility'),
      h('dd', { 'data-testid': 'card-verdict' }, h('span', { class: `pill ${verdict.tone}` }, verdict.label), ` ${e.compatibility.summary}`),
    ),
    e.compatibility.fallback.length
      ? h('details', { class: 'fallback' }, h('summary', {}, `Fallback ops (${e.compatibility.fallback.reduce((n, f) => n + f.count, 0)})`), h('ul', { 'data-testid': 'card-fallback' }, ...e.compatibility.fallback.map((f) => h('li', {}, h('code', {}, f.op), ` ×${f.count} — ${f.reason}`))))
      : null,
    e.compatibility.blockers.length ? h('ul', { class: 'blockers' }, ...e.compatibility.blockers.map((b) => h('li', {}, b))) : null,
    h('details', {}, h('summary', {}, 'Assumptions'), h('ul', { class: 'small' }, ...e.assumptions.map((a) => h('li', {}, a)), e.calibration ? h('li', {}, e.calibration.note) : null)),
  );
}

interface Column<K extends string> {
  key: K;
  label: string;
  numeric: boolean;
}

const FILE_COLUMNS: Column<SortKey>[] = [
  { key: 'index', label: '#', numeric: true },
  { key: 'name', label: 'Name', numeric: false },
  { key: 'op', label: 'Op', numeric: false },
  { key: 'macs', label: 'MACs', numeric: true },
  { key: 'params', label: 'Params', numeric: true },
  { key: 'weightBytes', label: 'Weights', numeric: true },
  { key: 'activationBytes', label: 'Activations', numeric: true },
  { key: 'ms', label: 'Est. ms', numeric: true },
];

const RUN_COLUMNS: Column<DeployedSortKey>[] = [
  { key: 'index', label: '#', numeric: true },
  { key: 'name', label: 'Layer', numeric: false },
  { key: 'op', label: 'Op', numeric: false },
  { key: 'unit', label: 'Runs on', numeric: false },
  { key: 'ms', label: 'Est. ms', numeric: true },
];

/** The estimates that have per-layer figures: the devices the "As it runs on" view can show. */
const withLayers = (v: AnalysisViewModel): DeviceResult[] => v.results.filter((r) => r.estimate && r.estimate.layers.length > 0);

/** The estimate the table relates to (the chosen device's), or null. */
const layerEstimate = (v: AnalysisViewModel): NonNullable<DeviceResult['estimate']> | null => v.results.find((r) => r.device === ui.layerDevice)?.estimate ?? null;

/** Rows the table puts in the page: a first page, then (on request) up to MAX_LAYER_ROWS. */
const pageOf = <R,>(rows: readonly R[]): R[] => rows.slice(0, ui.showAllLayers ? MAX_LAYER_ROWS : LAYER_PAGE);

/** A header row of sort buttons (aria-sort on the active column); a click sorts and keeps the focus there. */
function sortHeader<K extends string>(columns: Column<K>[], sort: { key: K; dir: 'asc' | 'desc' }, onSort: (key: K, dir: 'asc' | 'desc') => void, extra: string[] = []): HTMLElement {
  return h(
    'tr',
    {},
    ...columns.map((c) => {
      const active = sort.key === c.key;
      const b = button(`${c.label}${active ? (sort.dir === 'asc' ? ' ▲' : ' ▼') : ''}`, () => {
        onSort(c.key, active ? (sort.dir === 'asc' ? 'desc' : 'asc') : c.numeric && c.key !== 'index' ? 'desc' : 'asc');
        document.querySelector<HTMLButtonElement>(`[data-sort="${c.key}"]`)?.focus();
      }, { class: 'sort', 'data-sort': c.key, 'aria-label': `Sort by ${c.label}` });
      return h('th', { scope: 'col', class: c.numeric ? 'num' : '', 'aria-sort': active ? (sort.dir === 'asc' ? 'ascending' : 'descending') : 'none' }, b);
    }),
    ...extra.map((label) => h('th', { scope: 'col' }, label)),
  );
}

function renderLayers(): void {
  const body = document.getElementById('layers-body');
  if (!body || !view) return;
  const m = view.result.model;
  if (m.layers.length === 0) {
    const declared = m.declaredLayers ?? [];
    replaceChildren(
      body,
      declared.length
        ? h('table', { class: 'data', 'data-testid': 'declared-layers' }, h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Name'), h('th', { scope: 'col' }, 'Layer'), h('th', { scope: 'col' }, 'Params'))), h('tbody', {}, ...declared.slice(0, 2000).map((d) => h('tr', {}, h('td', {}, d.name), h('td', {}, d.op), h('td', { class: 'num' }, d.params === null ? '' : formatCount(d.params))))))
        : h('p', { class: 'muted' }, 'This file has no computation graph to list layers from.'),
    );
    return;
  }
  const running = withLayers(view);
  if (ui.layerView === 'deployed' && !running.some((r) => r.device === ui.layerDevice)) ui.layerView = 'file';
  if (ui.layerView === 'deployed') renderDeployedLayers(body, layerEstimate(view)!);
  else renderFileLayers(body);
}

/** The controls both views share: which view (the file's layers, or as it runs on a device), filter, dominant only. */
function layerControls(extra: Child[]): HTMLElement {
  const v = view!;
  const viewSelect = h(
    'select',
    { id: 'layer-view', 'data-testid': 'layer-view' },
    h('option', { value: 'file', selected: ui.layerView === 'file' }, 'As in the file'),
    ...withLayers(v).map((r) => h('option', { value: `run:${r.device}`, selected: ui.layerView === 'deployed' && r.device === ui.layerDevice }, `As it runs on ${r.estimate!.deviceName}`)),
  );
  viewSelect.addEventListener('change', () => {
    if (viewSelect.value === 'file') ui.layerView = 'file';
    else {
      ui.layerView = 'deployed';
      ui.layerDevice = viewSelect.value.slice('run:'.length);
    }
    saveUi();
    renderLayers();
    document.getElementById('layer-view')?.focus();
  });
  const filter = h('input', { id: 'layer-filter', type: 'search', value: ui.filter, placeholder: ui.layerView === 'deployed' ? 'name, op or file node (op:Conv for an exact op)' : 'name or op (op:Conv for an exact op)', 'data-testid': 'layer-filter' });
  filter.addEventListener('input', () => {
    ui.filter = filter.value;
    saveUi();
    renderLayerRowsOnly();
  });
  const dominant = h('input', { id: 'layer-dominant', type: 'checkbox', checked: ui.onlyDominant, 'data-testid': 'layer-dominant' });
  dominant.addEventListener('change', () => {
    ui.onlyDominant = dominant.checked;
    saveUi();
    renderLayers();
  });
  return h(
    'div',
    { class: 'controls' },
    h('label', { for: 'layer-view' }, 'Show'),
    viewSelect,
    ...extra,
    h('label', { for: 'layer-filter' }, 'Filter'),
    filter,
    h('span', { class: 'check' }, dominant, h('label', { for: 'layer-dominant' }, 'Only the dominant layers')),
  );
}

/** "Show all N layers" (up to MAX_LAYER_ROWS), and a note when even that leaves rows out. */
function moreRows(filtered: number, total: number, what: string): Child[] {
  const out: Child[] = [];
  if (!ui.showAllLayers && filtered > LAYER_PAGE) {
    out.push(button(`Show all ${formatCount(Math.min(filtered, MAX_LAYER_ROWS))} ${what}`, () => {
      ui.showAllLayers = true;
      saveUi();
      renderLayers();
    }, { class: 'secondary', 'data-testid': 'layers-show-all' }));
  }
  if (ui.showAllLayers && filtered > MAX_LAYER_ROWS) out.push(h('p', { class: 'muted small', 'data-testid': 'layers-bounded' }, `Showing ${formatCount(MAX_LAYER_ROWS)} of ${formatCount(filtered)} ${what}, in the order chosen above; ${what === 'layers' ? 'edgeplan analyze --json' : 'edgeplan estimate --json'} lists all ${formatCount(total)}.`));
  return out;
}

function fileRowsNow(): LayerRow[] {
  const est = layerEstimate(view!);
  const rows = layerRows(view!.result.model.layers, est ? est.layers : null);
  return sortRows(filterRows(rows, ui.filter, ui.onlyDominant), ui.sortKey, ui.sortDir);
}

function renderFileLayers(body: HTMLElement): void {
  const v = view!;
  const est = layerEstimate(v);
  const all = layerRows(v.result.model.layers, est ? est.layers : null);
  const filtered = fileRowsNow();
  const estimated = v.results.filter((r) => r.estimate);
  const deviceSelect = h('select', { id: 'layer-device', 'data-testid': 'layer-device' }, ...estimated.map((r) => h('option', { value: r.device, selected: r.device === ui.layerDevice }, r.estimate!.deviceName)));
  deviceSelect.addEventListener('change', () => {
    ui.layerDevice = deviceSelect.value;
    saveUi();
    renderLayers();
    document.getElementById('layer-device')?.focus();
  });
  const head = sortHeader(FILE_COLUMNS, { key: ui.sortKey, dir: ui.sortDir }, (key, dir) => {
    ui.sortKey = key;
    ui.sortDir = dir;
    saveUi();
    renderLayers();
  });
  const tbody = h('tbody', { id: 'layer-rows' });
  fillFileRows(tbody, pageOf(filtered));
  const dominantCount = all.filter((r) => r.dominant).length;
  replaceChildren(
    body,
    layerControls(estimated.length ? [h('label', { for: 'layer-device' }, 'Times from'), deviceSelect] : []),
    h(
      'p',
      { class: 'muted small', id: 'layer-caption', 'data-testid': 'layer-caption' },
      `${formatCount(filtered.length)} of ${formatCount(all.length)} layers in the file. `,
      est
        ? `Times are those of the layers ${est.deviceName} runs: a node fused into another layer, or folded away by its toolchain, has no time of its own. Highlighted: the ${dominantCount} layer(s) that take at least half of the estimated time.`
        : 'Choose a device to see per-layer time.',
    ),
    h('div', { class: 'table-scroll' }, h('table', { class: 'data layers', 'data-testid': 'layers-table', 'aria-describedby': 'layer-caption' }, h('thead', {}, head), tbody)),
    ...moreRows(filtered.length, all.length, 'layers'),
  );
}

function deployedRowsNow(est: NonNullable<DeviceResult['estimate']>): DeployedRow[] {
  return sortRows(filterRows(deployedRows(est.layers), ui.filter, ui.onlyDominant), ui.runSortKey, ui.runSortDir);
}

/** The layers the device's toolchain runs, each with the file nodes it stands for, and what was folded or fused. */
function renderDeployedLayers(body: HTMLElement, est: NonNullable<DeviceResult['estimate']>): void {
  const all = deployedRows(est.layers);
  const filtered = deployedRowsNow(est);
  const head = sortHeader(RUN_COLUMNS, { key: ui.runSortKey, dir: ui.runSortDir }, (key, dir) => {
    ui.runSortKey = key;
    ui.runSortDir = dir;
    saveUi();
    renderLayers();
  }, ['File nodes']);
  const tbody = h('tbody', { id: 'layer-rows' });
  fillDeployedRows(tbody, pageOf(filtered));
  const d = est.deployedGraph;
  const total = est.layersTotal ?? est.layers.length;
  replaceChildren(
    body,
    layerControls([]),
    h('p', { 'data-testid': 'deployed-summary' }, d ? explainDeployed(d) : `${est.deviceName} runs the file's layers as they are.`),
    est.compatibility.fallback.length ? h('p', { class: 'small', 'data-testid': 'deployed-fallback' }, est.compatibility.summary) : null,
    est.layersTotal ? h('p', { class: 'muted small', 'data-testid': 'layers-bounded' }, `${est.deviceName} runs ${formatCount(est.layersTotal)} layers: the ${formatCount(est.layers.length)} slowest are listed here; edgeplan estimate --json lists all.`) : null,
    h(
      'p',
      { class: 'muted small', id: 'layer-caption', 'data-testid': 'layer-caption' },
      `${formatCount(filtered.length)} of ${formatCount(total)} layers ${est.deviceName} runs${d ? `, from ${formatCount(d.fileNodes)} file nodes` : ''}. `,
      `Highlighted: the ${all.filter((r) => r.dominant).length} layer(s) that take at least half of the estimated time.`,
    ),
    h('div', { class: 'table-scroll' }, h('table', { class: 'data layers', 'data-testid': 'deployed-table', 'aria-describedby': 'layer-caption' }, h('thead', {}, head), tbody)),
    ...moreRows(filtered.length, total, 'deployed layers'),
  );
}

/** Typing in the filter re-renders only the rows, so the input keeps focus and caret. */
function renderLayerRowsOnly(): void {
  const tbody = document.getElementById('layer-rows');
  const est = view ? layerEstimate(view) : null;
  if (!tbody || !view) {
    renderLayers();
    return;
  }
  const caption = document.getElementById('layer-caption');
  if (ui.layerView === 'deployed' && est) {
    const rows = deployedRowsNow(est);
    fillDeployedRows(tbody, pageOf(rows));
    if (caption?.firstChild) caption.firstChild.textContent = `${formatCount(rows.length)} of ${formatCount(est.layersTotal ?? est.layers.length)} layers ${est.deviceName} runs${est.deployedGraph ? `, from ${formatCount(est.deployedGraph.fileNodes)} file nodes` : ''}. `;
    return;
  }
  const rows = fileRowsNow();
  fillFileRows(tbody, pageOf(rows));
  if (caption?.firstChild) caption.firstChild.textContent = `${formatCount(rows.length)} of ${formatCount(view.result.model.layers.length)} layers in the file. `;
}

function timeText(ms: number, share: number | null, onCpu: boolean): string {
  return `${formatMs(ms)}${share !== null ? ` (${Math.round(share * 100)}%)` : ''}${onCpu ? ' on CPU' : ''}`;
}

function fillFileRows(tbody: HTMLElement, rows: LayerRow[]): void {
  // Say where a layer runs only when the device splits the work between its accelerator and its CPU.
  const mixed = new Set(rows.map((r) => r.unit).filter((u) => u !== null)).size > 1;
  replaceChildren(
    tbody,
    ...rows.map((r) =>
      h(
        'tr',
        { class: r.dominant ? 'dominant' : '', 'data-testid': 'layer-row', 'data-dominant': r.dominant ? 'true' : undefined },
        h('td', { class: 'num' }, r.index + 1),
        h('td', { class: 'name', title: r.name }, r.name),
        h('td', {}, r.op),
        h('td', { class: 'num' }, r.macs === null ? '?' : formatCount(r.macs)),
        h('td', { class: 'num' }, formatCount(r.params)),
        h('td', { class: 'num' }, formatBytes(r.weightBytes)),
        h('td', { class: 'num' }, r.activationBytes === null ? '?' : formatBytes(r.activationBytes)),
        r.ms !== null
          ? h('td', { class: 'num' }, timeText(r.ms, r.share, mixed && r.unit === 'cpu'))
          : h('td', { class: 'num muted' }, r.fusedInto ? `in ${r.fusedInto}` : r.folded ? 'folded away' : ''),
      ),
    ),
  );
}

function fillDeployedRows(tbody: HTMLElement, rows: DeployedRow[]): void {
  const mixed = new Set(rows.map((r) => r.unit)).size > 1;
  replaceChildren(
    tbody,
    ...rows.map((r) =>
      h(
        'tr',
        { class: r.dominant ? 'dominant' : '', 'data-testid': 'deployed-row', 'data-dominant': r.dominant ? 'true' : undefined, 'data-from': r.from.length },
        h('td', { class: 'num' }, r.index + 1),
        h('td', { class: 'name', title: r.name }, r.name),
        h('td', {}, r.op),
        h('td', {}, r.unit === 'cpu' ? 'CPU' : 'accelerator'),
        h('td', { class: 'num' }, timeText(r.ms, r.share, false)),
        h('td', { class: mixed || r.from.length > 1 ? 'from' : 'from muted', 'data-testid': 'deployed-from' }, fromText(r.from, 6)),
      ),
    ),
  );
}

function renderBenchmark(): void {
  const el = document.getElementById('benchmark-section');
  if (!el || !view) return;
  const b = benchmark;
  const parts: Child[] = [h('h2', { id: 'benchmark-heading' }, 'Benchmark on this machine')];
  if (!b) {
    parts.push(h('p', { class: 'muted' }, view.benchmark.available ? 'Runs the model with onnxruntime-node in a separate process (20 runs after 3 warm-up runs, generated inputs). Times this computer, not the target device.' : view.benchmark.reason ?? ''));
  } else if (b.state === 'running') {
    parts.push(h('p', { role: 'status', 'data-testid': 'benchmark-status' }, b.message ?? 'Running…'), button('Cancel', () => post({ type: 'analysis/cancelBenchmark' }), { class: 'secondary', 'data-testid': 'benchmark-cancel' }));
  } else if (b.state === 'done' && b.result) {
    parts.push(benchmarkTable(b.result));
  } else {
    parts.push(h('p', { class: b.state === 'error' ? 'error-text' : 'muted', role: 'status', 'data-testid': 'benchmark-status' }, b.message ?? b.state));
  }
  replaceChildren(el, ...parts);
  const btn = document.querySelector<HTMLButtonElement>('[data-testid="benchmark"]');
  if (btn) btn.disabled = !view.benchmark.available || b?.state === 'running';
}

function benchmarkTable(r: BenchmarkView): HTMLElement {
  return h(
    'div',
    { 'data-testid': 'benchmark-result' },
    h(
      'table',
      { class: 'data' },
      h('thead', {}, h('tr', {}, ...['Batch', 'Mean ms', 'p50 ms', 'p95 ms', 'p99 ms'].map((t) => h('th', { scope: 'col', class: 'num' }, t)))),
      h('tbody', {}, ...r.rows.map((row) => h('tr', {}, h('td', { class: 'num' }, row.batch), h('td', { class: 'num' }, formatMs(row.meanMs)), h('td', { class: 'num' }, formatMs(row.p50Ms)), h('td', { class: 'num' }, formatMs(row.p95Ms)), h('td', { class: 'num' }, formatMs(row.p99Ms))))),
    ),
    h('ul', { class: 'small muted' }, ...r.notes.map((n) => h('li', {}, n))),
  );
}
