/** The comparison view: every model against every selected device, one row per model. */
import type { ComparisonViewModel, DeviceResult } from '../src/protocol';
import { formatBytes, formatCount, formatMs } from '../src/format-numbers';
import { button, h, replaceChildren } from './lib/dom';
import { latencyOrigin } from './lib/latency-origin-view';
import { post, start } from './lib/vscode-api';
import { devicePicker, verdictLabel } from './lib/devices';
import { threadsField } from './lib/threads-field';
import { runtimeField } from './lib/runtime-field';

const app = document.getElementById('app') as HTMLElement;

start((msg) => {
  if (msg.type === 'comparison/progress') {
    replaceChildren(app, h('h1', { class: 'title' }, 'Comparing models'), h('p', { role: 'status', class: 'status', 'data-testid': 'loading' }, `${msg.message} (${msg.done + 1} of ${msg.total})`), h('progress', { max: msg.total, value: msg.done, 'aria-label': 'Models analyzed' }));
  } else if (msg.type === 'comparison/result') {
    render(msg.view);
  } else {
    post({ type: 'log', level: 'warn', message: `comparison view: unexpected message ${msg.type}` });
  }
});

function cell(r: DeviceResult | undefined): HTMLElement {
  if (!r) return h('td', {}, '');
  const e = r.estimate;
  if (!e) return h('td', { class: 'error-text small' }, r.error ?? 'no estimate');
  const fits = e.memory.fits;
  const verdict = verdictLabel(e.compatibility.verdict);
  return h(
    'td',
    { 'data-testid': 'comparison-cell', 'data-device': r.device },
    h('div', {}, h('strong', {}, `${formatMs(e.latencyMs.typical)} ms`), h('span', { class: 'muted small' }, ` ${formatMs(e.latencyMs.low)}–${formatMs(e.latencyMs.high)} `), latencyOrigin(e)),
    h('div', { class: 'small' }, h('span', { class: `pill ${fits === false ? 'bad' : fits ? 'good' : 'warn'}` }, fits === null ? 'memory ?' : fits ? 'fits' : 'too big'), ' ', formatBytes(e.memory.totalBytes)),
    h('div', { class: 'small' }, h('span', { class: `pill ${verdict.tone}` }, verdict.label)),
  );
}

function render(v: ComparisonViewModel): void {
  const devices = v.selectedDevices.map((id) => v.devices.find((d) => d.id === id) ?? { id, name: id, kind: '' });
  const table = h(
    'table',
    { class: 'data comparison', 'data-testid': 'comparison-table' },
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Model'), h('th', { scope: 'col', class: 'num' }, 'Params'), h('th', { scope: 'col', class: 'num' }, 'MACs'), h('th', { scope: 'col', class: 'num' }, 'Weights'), ...devices.map((d) => h('th', { scope: 'col', 'data-device': d.id }, d.name, runtimeField(d, v.runtimes[d.id] ?? d.runtimes?.find((r) => r.default)?.id ?? '', 'column', (runtime) => post({ type: 'comparison/setRuntime', deviceId: d.id, runtime })))))),
    h(
      'tbody',
      {},
      ...v.models.map((m) =>
        h(
          'tr',
          { 'data-testid': 'comparison-row', 'data-file': m.file },
          h('th', { scope: 'row' }, button(m.file, () => post({ type: 'comparison/openModel', file: m.file }), { class: 'link', title: `Open the analysis of ${m.file}` }), m.format ? h('span', { class: 'badge' }, m.format.toUpperCase()) : null),
          ...(m.error
            ? [h('td', { colspan: 3 + devices.length, class: 'error-text' }, m.error)]
            : [
                h('td', { class: 'num' }, m.params === undefined ? '' : formatCount(m.params)),
                h('td', { class: 'num' }, m.macs === null || m.macs === undefined ? '?' : formatCount(m.macs)),
                h('td', { class: 'num' }, m.weightBytes === undefined ? '' : formatBytes(m.weightBytes)),
                ...devices.map((d) => cell(m.results.find((r) => r.device === d.id))),
              ]),
        ),
      ),
    ),
  );
  replaceChildren(
    app,
    h('h1', { class: 'title' }, v.title),
    devicePicker(v.devices, v.selectedDevices, (ids) => post({ type: 'comparison/selectDevices', deviceIds: ids })),
    threadsField(v.cpuThreads, (cpuThreads) => post({ type: 'comparison/setThreads', cpuThreads })),
    h('p', { class: 'muted small' }, 'Typical latency per inference with its low–high range, memory needed, and whether every operator runs on the accelerator. Select a model name for its full analysis.'),
    h('div', { class: 'table-scroll' }, table),
  );
}
