/**
 * The planner form: one page over DeploymentPlan. Every input writes into the plan, keeps the draft in the
 * webview state (setState) and sends the plan to the host, which validates it (errors appear next to their
 * fields), saves `.edgeplan/<slug>.plan.json`, and re-estimates when targets or budgets change.
 */
import { latencyMetOnTypicalOnly, rangeVerdict } from '../src/planner/budget-range';
import type { DeploymentPlan, Risk, RolloutStage } from '../src/planner/plan';
import type { Recommendation } from '../src/planner/types';
import type { DeviceResult, ExportFormat, FieldError, PlannerFigures, PlannerInit, ToWebview } from '../src/protocol';
import { formatBytes, formatCount, formatMs, formatPercent, withUnit } from '../src/format-numbers';
import { button, h, replaceChildren, type Child } from './lib/dom';
import { latencyOrigin } from './lib/latency-origin-view';
import { getState, post, setState, start } from './lib/vscode-api';
import { fieldName, getAt, matchField, parseLines, parseNumberInput, setAt, type FieldPath } from './lib/plan-path';
import { verdictLabel } from './lib/devices';
import { renderVerifyState, verifyControls, VERIFY_TECHNIQUES, type VerifyState } from './lib/verify-section';
import { runtimeMark } from './lib/runtime-basis';
import type { PlanVerification, VerifiedTechnique } from '../src/planner/plan/verification';

interface DraftState {
  resource: string;
  planFile: string;
  plan: Record<string, unknown>;
  seq: number;
  /** The symbolic dimension sizes the figures use; the host restores them after a window reload. */
  bindings?: Record<string, number>;
}

const app = document.getElementById('app') as HTMLElement;
let init: PlannerInit | undefined;
let plan: Record<string, unknown> = {};
let seq = getState<DraftState>().seq ?? 0;
let errors: FieldError[] = [];
let figures: PlannerFigures | null = null;
let verify: VerifyState | undefined;
/** Field names that have an element in the form (for placing errors). */
const fieldElements = new Map<string, HTMLElement>();

start((msg: ToWebview) => {
  switch (msg.type) {
    case 'planner/loading':
      if (!init) replaceChildren(app, h('p', { class: 'status', role: 'status', 'data-testid': 'loading' }, msg.message));
      return;
    case 'planner/error':
      replaceChildren(app, h('div', { class: 'error-box', role: 'alert', 'data-testid': 'planner-error' }, msg.message), button('Show Log', () => post({ type: 'showLog' }), { class: 'secondary' }));
      return;
    case 'planner/init':
      onInit(msg.init);
      return;
    case 'planner/figures':
      if (msg.figures.seq >= (figures?.seq ?? -1) || msg.figures.seq === 0) {
        figures = msg.figures;
        renderFigures();
      }
      return;
    case 'planner/validation':
      if (msg.seq === seq) {
        errors = msg.errors;
        showErrors();
      }
      return;
    case 'planner/saved':
      setStatus('save-status', `Draft saved to ${msg.file} at ${new Date(msg.at).toLocaleTimeString()}`, 'muted');
      return;
    case 'planner/saveError':
      setStatus('save-status', msg.message, 'error-text');
      return;
    case 'verify/state':
      verify = msg;
      renderVerifyState(verify, savedVerifications());
      return;
    case 'planner/exportState':
      setStatus('export-status', msg.message ?? msg.state, msg.state === 'error' ? 'error-text' : 'muted');
      for (const b of document.querySelectorAll<HTMLButtonElement>('button[data-export]')) b.disabled = msg.state === 'running';
      return;
    default:
      post({ type: 'log', level: 'warn', message: `planner: unexpected message ${msg.type}` });
  }
});

function onInit(i: PlannerInit): void {
  init = i;
  const saved = getState<DraftState>();
  // The webview's own draft is at least as recent as anything the host has (every keystroke lands here first).
  const useDraft = saved.planFile === i.planFile && typeof saved.plan === 'object' && saved.plan !== null;
  plan = useDraft ? (saved.plan as Record<string, unknown>) : (JSON.parse(JSON.stringify(i.plan)) as Record<string, unknown>);
  errors = i.errors;
  figures = i.figures;
  render();
  keepDraft();
  if (useDraft) sendEdit();
}

function keepDraft(): void {
  if (!init) return;
  setState<DraftState>({ resource: init.resource, planFile: init.planFile, plan, seq, bindings: init.bindings });
}

function sendEdit(): void {
  seq++;
  keepDraft();
  post({ type: 'planner/edit', seq, plan });
}

function setValue(path: FieldPath, value: unknown): void {
  setAt(plan, path, value);
  sendEdit();
}

function setStatus(id: string, text: string, cls: string): void {
  const el = document.getElementById(id);
  if (!el) return;
  el.className = `status-line ${cls}`;
  el.textContent = text;
}

// ---------------------------------------------------------------------------------------------
// Field builders: every control has a label, an id, a data-testid "field-<name>" and an error slot.

const idFor = (name: string): string => `f-${name.replace(/[^A-Za-z0-9]+/g, '-')}`;

function fieldShell(name: string, label: string, control: HTMLElement, hint?: string): HTMLElement {
  const id = idFor(name);
  control.id = id;
  control.setAttribute('data-testid', `field-${name}`);
  control.setAttribute('aria-describedby', `${id}-error${hint ? ` ${id}-hint` : ''}`);
  const wrap = h(
    'div',
    { class: 'field', 'data-field': name },
    h('label', { for: id }, label),
    control,
    hint ? h('p', { class: 'hint', id: `${id}-hint` }, hint) : null,
    h('p', { class: 'field-error', id: `${id}-error`, 'data-testid': `error-${name}` }),
  );
  fieldElements.set(name, wrap);
  return wrap;
}

function textField(path: FieldPath, label: string, opts: { multiline?: boolean; hint?: string; placeholder?: string; required?: boolean; suggestions?: { value: string; label: string }[] } = {}): HTMLElement {
  const value = String(getAt(plan, path) ?? '');
  const listId = opts.suggestions?.length ? `${idFor(fieldName(path))}-suggestions` : undefined;
  const control = opts.multiline ? h('textarea', { rows: 3, placeholder: opts.placeholder }) : h('input', { type: 'text', placeholder: opts.placeholder, 'aria-required': opts.required ? 'true' : undefined, list: listId });
  control.value = value;
  control.addEventListener('input', () => setValue(path, control.value));
  const shell = fieldShell(fieldName(path), opts.required ? `${label} *` : label, control, opts.hint);
  if (listId) shell.appendChild(h('datalist', { id: listId, 'data-testid': `suggestions-${fieldName(path)}` }, ...opts.suggestions!.map((s) => h('option', { value: s.value, label: s.label }))));
  return shell;
}

/** The catalog runtimes of the plan's targets, as suggestions for runtime.name (the CLI's plan --runtime). */
function runtimeSuggestions(): { value: string; label: string }[] {
  const out = new Map<string, string[]>();
  const targets = Array.isArray(plan.targets) ? (plan.targets as unknown[]).filter((t): t is string => typeof t === 'string') : [];
  for (const t of targets) {
    const d = init?.devices.find((x) => x.id === t);
    for (const r of d?.runtimes ?? []) out.set(r.id, [...(out.get(r.id) ?? []), `${d!.name}${r.default ? ', default' : ''}${runtimeMark(r)}`]);
  }
  return [...out].map(([id, on]) => ({ value: id, label: `${id} — ${on.join('; ')}` }));
}

function numberField(path: FieldPath, label: string, opts: { hint?: string; nullable?: boolean } = {}): HTMLElement {
  const v = getAt(plan, path);
  const control = h('input', { type: 'text', inputmode: 'decimal', autocomplete: 'off' });
  control.value = v === undefined || v === null ? '' : String(v);
  control.addEventListener('input', () => setValue(path, parseNumberInput(control.value, !!opts.nullable)));
  return fieldShell(fieldName(path), label, control, opts.hint);
}

function checkField(path: FieldPath, label: string, hint?: string): HTMLElement {
  const name = fieldName(path);
  const id = idFor(name);
  const box = h('input', { type: 'checkbox', id, checked: getAt(plan, path) === true, 'data-testid': `field-${name}`, 'aria-describedby': `${id}-error` });
  box.addEventListener('change', () => setValue(path, box.checked));
  const wrap = h('div', { class: 'field check', 'data-field': name }, box, h('label', { for: id }, label), hint ? h('span', { class: 'hint' }, ` ${hint}`) : null, h('p', { class: 'field-error', id: `${id}-error`, 'data-testid': `error-${name}` }));
  fieldElements.set(name, wrap);
  return wrap;
}

function linesField(path: FieldPath, label: string, hint = 'One per line.'): HTMLElement {
  const v = getAt(plan, path);
  const control = h('textarea', { rows: 3 });
  control.value = Array.isArray(v) ? v.join('\n') : '';
  control.addEventListener('input', () => setValue(path, parseLines(control.value)));
  return fieldShell(fieldName(path), label, control, hint);
}

function selectField(path: FieldPath, label: string, options: { value: string; label: string }[]): HTMLElement {
  const v = String(getAt(plan, path) ?? '');
  const control = h('select', {}, ...options.map((o) => h('option', { value: o.value, selected: o.value === v }, o.label)));
  control.addEventListener('change', () => setValue(path, control.value));
  return fieldShell(fieldName(path), label, control);
}

function group(title: string, id: string, ...children: Child[]): HTMLElement {
  return h('fieldset', { class: 'group', id: `group-${id}`, 'data-testid': `group-${id}` }, h('legend', {}, title), ...children);
}

// ---------------------------------------------------------------------------------------------

function render(): void {
  if (!init) return;
  fieldElements.clear();
  const p = plan as unknown as DeploymentPlan;
  const model = init.model;
  replaceChildren(
    app,
    h(
      'header',
      { class: 'view-header' },
      h('h1', { class: 'title' }, 'Edge deployment plan'),
      h('p', { class: 'muted' }, `${init.planFile}${init.restoredFrom === 'file' ? ' — restored from the saved plan' : init.restoredFrom === 'draft' ? ' — restored draft' : ''}`),
      exportBar(),
      h('p', { id: 'save-status', class: 'status-line muted', role: 'status', 'data-testid': 'save-status' }),
      h('div', { id: 'error-summary', 'data-testid': 'error-summary' }),
    ),
    h(
      'div',
      { class: 'planner-layout' },
      h(
        'form',
        { class: 'plan-form', id: 'plan-form', 'data-testid': 'plan-form', novalidate: true, 'aria-label': 'Deployment plan' },
        group(
          'Project',
          'project',
          textField(['project', 'name'], 'Project name', { required: true }),
          textField(['project', 'owner'], 'Owner'),
          textField(['project', 'version'], 'Plan version'),
          textField(['project', 'date'], 'Date', { hint: 'YYYY-MM-DD' }),
          textField(['project', 'useCase'], 'Use case', { multiline: true, placeholder: 'What the model does for whom, and where it runs' }),
        ),
        group(
          'Model',
          'model',
          h('p', { class: 'muted', 'data-testid': 'model-file' }, model ? `${model.file} — ${model.format.toUpperCase()}, ${formatCount(model.params)} parameters, ${formatBytes(model.weightBytes)} weights${model.macs !== null ? `, ${formatCount(model.macs)} MACs` : ''}` : p.model.file),
          init.bindings
            ? h(
                'p',
                { class: 'hint', 'data-testid': 'model-bindings' },
                `Symbolic dimensions: ${Object.entries(init.bindings).map(([k, v]) => `${k} = ${v}`).join(', ')} (set them under “Dynamic dimensions” in the analysis view).`,
              )
            : null,
          textField(['model', 'name'], 'Model name'),
        ),
        targetsGroup(),
        group(
          'Budgets',
          'budgets',
          h('p', { class: 'hint' }, 'Leave a budget empty when it does not apply. Changing a budget updates the estimates and the recommendation.'),
          h(
            'div',
            { class: 'grid2' },
            numberField(['budgets', 'latencyMs'], 'Latency budget (ms per inference)'),
            numberField(['budgets', 'memoryMb'], 'Memory budget (MB)'),
            numberField(['budgets', 'powerW'], 'Power budget (W)'),
            numberField(['budgets', 'energyMj'], 'Energy budget (mJ per inference)'),
            numberField(['budgets', 'accuracyDrop'], 'Accepted accuracy drop (points)'),
          ),
        ),
        group(
          'Data and retraining',
          'data',
          checkField(['budgets', 'retraining'], 'Retraining is possible', '(QAT, distillation, pruning fine-tune)'),
          checkField(['budgets', 'calibrationData'], 'Representative calibration data is available'),
          textField(['dataConstraints'], 'Data and retraining constraints', { multiline: true }),
        ),
        compressionGroup(),
        group('Verify on this machine', 'verify', verifyControls(init.verify, defaultVerifyTechnique())),
        group(
          'Runtime',
          'runtime',
          textField(['runtime', 'name'], 'Runtime', { suggestions: runtimeSuggestions(), hint: 'A catalog runtime id of a target (the suggestions, e.g. ncnn on a Raspberry Pi) estimates that target with it: its fitted speed and, where it has published points on that target, its own range. Other text is kept as written, and each target uses its default runtime.' }),
          numberField(['runtime', 'cpuThreads'], 'CPU threads', { nullable: true, hint: "Threads the runtime's CPU kernels use; empty = every core. TF Lite's Python Interpreter without num_threads uses 1." }),
          textField(['runtime', 'notes'], 'Runtime notes', { multiline: true }),
        ),
        rolloutGroup(),
        group(
          'Privacy',
          'privacy',
          checkField(['privacy', 'onDeviceOnly'], 'Data stays on the device'),
          checkField(['privacy', 'federatedLearning'], 'Federated learning'),
          checkField(['privacy', 'differentialPrivacy'], 'Differential privacy'),
          textField(['privacy', 'notes'], 'Privacy notes', { multiline: true }),
        ),
        group(
          'Fairness audit',
          'fairness',
          linesField(['fairness', 'groups'], 'User groups to cover'),
          textField(['fairness', 'metric'], 'Metric'),
          numberField(['fairness', 'maxGapPoints'], 'Largest accepted gap between groups (points)', { nullable: true }),
          textField(['fairness', 'notes'], 'Fairness notes', { multiline: true }),
        ),
        group('Monitoring and drift', 'monitoring', linesField(['monitoring', 'metrics'], 'Metrics'), textField(['monitoring', 'drift'], 'Drift detection', { multiline: true }), textField(['monitoring', 'notes'], 'Monitoring notes', { multiline: true })),
        group(
          'Confidence-gated offloading',
          'offloading',
          checkField(['offloading', 'enabled'], 'Offload low-confidence requests'),
          numberField(['offloading', 'confidenceThreshold'], 'Confidence threshold (0–1)', { nullable: true }),
          textField(['offloading', 'fallback'], 'Fallback', { placeholder: 'e.g. the full model in the cloud' }),
          textField(['offloading', 'notes'], 'Offloading notes', { multiline: true }),
        ),
        risksGroup(),
        group('Open questions', 'questions', linesField(['openQuestions'], 'Open questions')),
      ),
      h('aside', { class: 'figures', id: 'figures', 'aria-label': 'Estimates and recommendation', 'data-testid': 'planner-figures' }),
    ),
  );
  renderFigures();
  showErrors();
  renderVerifyState(verify, savedVerifications());
}

/** The measurements the host's plan holds (the form never edits them). */
function savedVerifications(): PlanVerification[] {
  return init?.plan.verification ?? [];
}

/** The first step of the plan's pipeline that verify can build, else static INT8. */
function defaultVerifyTechnique(): VerifiedTechnique {
  const steps = (getAt(plan, ['compression', 'techniques']) ?? []) as string[];
  return (steps.find((t) => VERIFY_TECHNIQUES.some((v) => v.id === t)) as VerifiedTechnique | undefined) ?? 'int8-ptq';
}

function exportBar(): HTMLElement {
  const formats: { f: ExportFormat; label: string }[] = [
    { f: 'docx', label: 'Export Word' },
    { f: 'xlsx', label: 'Export Excel' },
    { f: 'pdf', label: 'Export PDF' },
    { f: 'pptx', label: 'Export PowerPoint' },
  ];
  return h(
    'div',
    { class: 'toolbar', role: 'group', 'aria-label': 'Export' },
    ...formats.map(({ f, label }) => button(label, () => post({ type: 'planner/export', format: f }), { 'data-testid': `export-${f}`, 'data-export': f, class: f === 'docx' ? '' : 'secondary' })),
    h('span', { id: 'export-status', class: 'status-line muted', role: 'status', 'data-testid': 'export-status' }),
  );
}

function targetsGroup(): HTMLElement {
  if (!init) return h('div');
  const targets = Array.isArray(plan.targets) ? (plan.targets as string[]) : [];
  const name = 'plan.targets';
  const list = h('div', { class: 'device-list', role: 'group', 'aria-labelledby': 'targets-label', 'data-testid': `field-${name}` });
  for (const d of init.devices) {
    const id = `target-${d.id}`;
    const box = h('input', { type: 'checkbox', id, checked: targets.includes(d.id), 'data-testid': `target-${d.id}` });
    box.addEventListener('change', () => {
      const cur = Array.isArray(plan.targets) ? [...(plan.targets as string[])] : [];
      const next = box.checked ? (cur.includes(d.id) ? cur : [...cur, d.id]) : cur.filter((t) => t !== d.id);
      setValue(['targets'], next);
      rerenderKeepingFocus(`target-${d.id}`);
    });
    list.appendChild(h('div', { class: 'check' }, box, h('label', { for: id }, d.name, d.kind ? h('span', { class: 'muted small' }, ` ${d.kind}`) : null)));
  }
  const primary = h('select', { id: 'f-primary-target', 'data-testid': 'field-primary-target', disabled: targets.length < 2 }, ...targets.map((t) => h('option', { value: t, selected: t === targets[0] }, init!.devices.find((d) => d.id === t)?.name ?? t)));
  primary.addEventListener('change', () => {
    const cur = (plan.targets as string[]).filter((t) => t !== primary.value);
    setValue(['targets'], [primary.value, ...cur]);
    rerenderKeepingFocus('f-primary-target');
  });
  const wrap = h(
    'div',
    { class: 'field', 'data-field': name },
    h('span', { id: 'targets-label', class: 'label' }, 'Target devices *'),
    list,
    h('label', { for: 'f-primary-target' }, 'Primary target (the recommendation is computed for it)'),
    primary,
    h('p', { class: 'field-error', id: 'f-plan-targets-error', 'data-testid': `error-${name}` }),
  );
  fieldElements.set(name, wrap);
  return group('Target devices', 'targets', wrap);
}

function compressionGroup(): HTMLElement {
  if (!init) return h('div');
  const techniques = Array.isArray(getAt(plan, ['compression', 'techniques'])) ? (getAt(plan, ['compression', 'techniques']) as string[]) : [];
  const name = 'compression.techniques';
  const options = init.techniques;
  const rows = techniques.map((t, i) => {
    const id = `f-technique-${i}`;
    const sel = h('select', { id, 'data-testid': `technique-${i}`, 'aria-label': `Step ${i + 1}` }, ...options.map((o) => h('option', { value: o.id, selected: o.id === t }, o.label)));
    sel.addEventListener('change', () => setValue(['compression', 'techniques', i], sel.value));
    const move = (delta: number): void => {
      const next = [...techniques];
      const [x] = next.splice(i, 1);
      next.splice(i + delta, 0, x);
      setValue(['compression', 'techniques'], next);
      rerenderKeepingFocus(`f-technique-${i + delta}`);
    };
    const errId = `f-compression-techniques-${i}-error`;
    const li = h(
      'li',
      { class: 'row', 'data-field': `${name}[${i}]` },
      sel,
      button('↑', () => move(-1), { class: 'icon', 'aria-label': `Move step ${i + 1} up`, disabled: i === 0 }),
      button('↓', () => move(1), { class: 'icon', 'aria-label': `Move step ${i + 1} down`, disabled: i === techniques.length - 1 }),
      button('Remove', () => {
        setValue(['compression', 'techniques'], techniques.filter((_, j) => j !== i));
        rerenderKeepingFocus('add-technique');
      }, { class: 'secondary', 'aria-label': `Remove step ${i + 1}` }),
      h('p', { class: 'field-error', id: errId }),
    );
    fieldElements.set(`${name}[${i}]`, li);
    return li;
  });
  const add = button('Add step', () => {
    setValue(['compression', 'techniques'], [...techniques, 'int8-ptq']);
    rerenderKeepingFocus(`f-technique-${techniques.length}`);
  }, { id: 'add-technique', class: 'secondary', 'data-testid': 'add-technique' });
  const wrap = h('div', { class: 'field', 'data-field': name }, h('span', { class: 'label' }, 'Pipeline steps, in order'), rows.length ? h('ol', { class: 'rows', 'data-testid': 'field-compression.techniques' }, ...rows) : h('p', { class: 'muted', 'data-testid': 'field-compression.techniques' }, 'No compression steps.'), add, h('p', { class: 'field-error', id: 'f-compression-techniques-error', 'data-testid': `error-${name}` }));
  fieldElements.set(name, wrap);
  return group('Compression pipeline', 'compression', h('p', { class: 'hint' }, 'Pre-filled from the recommendation; edit freely.'), wrap, textField(['compression', 'notes'], 'Compression notes', { multiline: true }));
}

function rolloutGroup(): HTMLElement {
  const stages = (Array.isArray(getAt(plan, ['rollout', 'stages'])) ? getAt(plan, ['rollout', 'stages']) : []) as RolloutStage[];
  const rows = stages.map((_, i) =>
    h(
      'div',
      { class: 'subgroup', 'data-testid': `stage-${i}` },
      h('h4', {}, `Stage ${i + 1}`),
      h('div', { class: 'grid2' }, textField(['rollout', 'stages', i, 'name'], 'Name'), numberField(['rollout', 'stages', i, 'percent'], 'Share of the fleet (%)'), numberField(['rollout', 'stages', i, 'durationDays'], 'Duration (days)')),
      textField(['rollout', 'stages', i, 'exitCriteria'], 'Exit criteria', { multiline: true }),
      button('Remove stage', () => {
        setValue(['rollout', 'stages'], stages.filter((__, j) => j !== i));
        rerenderKeepingFocus('add-stage');
      }, { class: 'secondary', 'aria-label': `Remove stage ${i + 1}` }),
    ),
  );
  const stagesWrap = h('div', { class: 'field', 'data-field': 'rollout.stages' }, ...rows, button('Add stage', () => {
    setValue(['rollout', 'stages'], [...stages, { name: '', percent: 100, durationDays: 7, exitCriteria: '' }]);
    rerenderKeepingFocus(idFor(`rollout.stages[${stages.length}].name`));
  }, { id: 'add-stage', class: 'secondary', 'data-testid': 'add-stage' }), h('p', { class: 'field-error', id: 'f-rollout-stages-error', 'data-testid': 'error-rollout.stages' }));
  fieldElements.set('rollout.stages', stagesWrap);
  return group(
    'Rollout (staged over-the-air)',
    'rollout',
    stagesWrap,
    textField(['rollout', 'signing'], 'Signing', { multiline: true }),
    textField(['rollout', 'rollback'], 'Rollback', { multiline: true }),
    textField(['rollout', 'abTest'], 'A/B test', { multiline: true }),
  );
}

function risksGroup(): HTMLElement {
  const risks = (Array.isArray(plan.risks) ? plan.risks : []) as Risk[];
  const levels = [
    { value: 'low', label: 'Low' },
    { value: 'medium', label: 'Medium' },
    { value: 'high', label: 'High' },
  ];
  const rows = risks.map((_, i) =>
    h(
      'div',
      { class: 'subgroup', 'data-testid': `risk-${i}` },
      h('h4', {}, `Risk ${i + 1}`),
      textField(['risks', i, 'description'], 'Description', { multiline: true }),
      h('div', { class: 'grid2' }, selectField(['risks', i, 'likelihood'], 'Likelihood', levels), selectField(['risks', i, 'impact'], 'Impact', levels)),
      textField(['risks', i, 'mitigation'], 'Mitigation', { multiline: true }),
      button('Remove risk', () => {
        setValue(['risks'], risks.filter((__, j) => j !== i));
        rerenderKeepingFocus('add-risk');
      }, { class: 'secondary', 'aria-label': `Remove risk ${i + 1}` }),
    ),
  );
  return group(
    'Risks',
    'risks',
    ...rows,
    button('Add risk', () => {
      setValue(['risks'], [...risks, { description: '', likelihood: 'medium', impact: 'medium', mitigation: '' }]);
      rerenderKeepingFocus(idFor(`risks[${risks.length}].description`));
    }, { id: 'add-risk', class: 'secondary', 'data-testid': 'add-risk' }),
  );
}

/** Structural edits (rows added, removed, moved) rebuild the form; focus goes to the element that makes sense. */
function rerenderKeepingFocus(focusId: string): void {
  const scroll = window.scrollY;
  render();
  window.scrollTo(0, scroll);
  document.getElementById(focusId)?.focus();
}

// ---------------------------------------------------------------------------------------------
// Errors

function showErrors(): void {
  for (const el of document.querySelectorAll('.field-error')) el.textContent = '';
  for (const el of document.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
  const known = new Set(fieldElements.keys());
  for (const e of errors) {
    const name = matchField(e.field, known);
    const wrap = name ? fieldElements.get(name) : undefined;
    const slot = wrap?.querySelector(':scope > .field-error');
    if (!wrap || !slot) continue; // listed in the summary only
    slot.textContent = slot.textContent ? `${slot.textContent} ${e.message}` : capitalize(e.message);
    wrap.querySelector('input, select, textarea')?.setAttribute('aria-invalid', 'true');
  }
  const summary = document.getElementById('error-summary');
  if (!summary) return;
  if (errors.length === 0) {
    replaceChildren(summary);
    return;
  }
  replaceChildren(
    summary,
    h(
      'div',
      { class: 'error-box', role: 'alert' },
      h('strong', {}, `${errors.length} field${errors.length === 1 ? '' : 's'} to fix. `),
      'The draft is saved without the invalid values.',
      h(
        'ul',
        {},
        ...errors.map((e) => {
          const name = matchField(e.field, known);
          const target = name ? fieldElements.get(name)?.querySelector<HTMLElement>('input, select, textarea') : null;
          return h('li', {}, target ? button(`${e.field}: ${e.message}`, () => target.focus(), { class: 'link' }) : `${e.field}: ${e.message}`);
        }),
      ),
    ),
  );
}

const capitalize = (s: string): string => (s ? s[0].toUpperCase() + s.slice(1) : s);

// ---------------------------------------------------------------------------------------------
// Figures

function renderFigures(): void {
  const el = document.getElementById('figures');
  if (!el || !init) return;
  const f = figures;
  // Only numeric budgets count: a field holding invalid text is shown as an error, not compared.
  const raw = (plan.budgets ?? {}) as Record<string, unknown>;
  const numeric = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
  const budgets = { latencyMs: numeric(raw.latencyMs), memoryMb: numeric(raw.memoryMb), energyMj: numeric(raw.energyMj) };
  const parts: Child[] = [h('h2', {}, 'Estimates')];
  if (!f) parts.push(h('p', { class: 'muted' }, 'Computing…'));
  else {
    if (f.error) parts.push(h('p', { class: 'error-text', 'data-testid': 'figures-error' }, f.error));
    for (const r of f.results) parts.push(figureCard(r, budgets));
    const rec = f.recommendation;
    parts.push(h('h2', {}, 'Recommendation'));
    if (!rec) parts.push(h('p', { class: 'muted' }, 'No recommendation.'));
    else {
      parts.push(h('p', { 'data-testid': 'recommendation-verdict' }, rec.verdict));
      const top = rec.recommendations[0];
      if (top) parts.push(recommendationBlock(top, rec.budgets.latencyMs));
      if (rec.alternatives.length) {
        parts.push(h('h3', {}, 'Other devices that would meet the budgets'), h('ul', { class: 'small' }, ...rec.alternatives.slice(0, 4).map((a) => h('li', {}, `${a.deviceName}: ${withUnit(formatMs(a.predicted.latencyMs.typical), 'ms')}, ${formatBytes(a.predicted.memoryBytes)}${a.pipeline.length ? ` with ${a.pipeline.join(' → ')}` : ''}`))));
      }
      if (rec.operations.length) parts.push(h('details', {}, h('summary', {}, 'Operational items the plan should cover'), h('ul', { class: 'small' }, ...rec.operations.map((o) => h('li', {}, o)))));
    }
  }
  replaceChildren(el, ...parts);
}

function figureCard(r: DeviceResult, budgets: { latencyMs?: number; memoryMb?: number; energyMj?: number }): HTMLElement {
  const e = r.estimate;
  if (!e) return h('article', { class: 'card', 'data-testid': 'figure-card', 'data-device': r.device }, h('h3', {}, r.device), h('p', { class: 'error-text' }, r.error ?? 'No estimate.'));
  const lat = e.latencyMs;
  const memBudget = e.memory.budget;
  const verdict = verdictLabel(e.compatibility.verdict);
  const mark = (ok: boolean | null | undefined): Child => (ok === null || ok === undefined ? null : h('span', { class: `pill ${ok ? 'good' : 'bad'}` }, ok ? 'within budget' : 'over budget'));
  return h(
    'article',
    { class: 'card', 'data-testid': 'figure-card', 'data-device': e.device },
    h('h3', {}, e.deviceName),
    h(
      'dl',
      { class: 'facts compact' },
      h('dt', {}, 'Latency'),
      h('dd', { 'data-testid': 'figure-latency' }, `${formatMs(lat.typical)} ms (${formatMs(lat.low)}–${formatMs(lat.high)}) `, latencyOrigin(e), ' ', rangeMark(lat, budgets.latencyMs, 'ms')),
      h('dt', {}, 'Memory'),
      h('dd', { 'data-testid': 'figure-memory' }, `${formatBytes(e.memory.totalBytes)}${e.memory.limitBytes !== null ? ` of ${formatBytes(e.memory.limitBytes)}` : ''} `, e.memory.fits === false ? h('span', { class: 'pill bad' }, 'does not fit') : null, memBudget ? mark(memBudget.fits) : null),
      h('dt', {}, 'Energy'),
      h('dd', {}, e.energyMj ? `${formatMs(e.energyMj.typical)} mJ ` : 'unknown ', e.energyMj ? rangeMark(e.energyMj, budgets.energyMj, 'mJ') : null),
      h('dt', {}, 'Operators'),
      h('dd', {}, h('span', { class: `pill ${verdict.tone}` }, verdict.label), e.compatibility.fallback.length ? ` falls back: ${e.compatibility.fallback.map((x) => x.op).slice(0, 6).join(', ')}` : ''),
    ),
  );
}

/**
 * A budget against an estimated range: within it when the whole range is, over it when the whole range is above it,
 * and not decided when the budget lies inside the range (the typical figure alone would claim more than the estimate
 * knows; a measurement on the device decides it).
 */
function rangeMark(r: { low: number; typical: number; high: number }, budget: number | undefined, unit: string): Child {
  if (budget === undefined || !Number.isFinite(r.typical)) return null;
  const verdict = rangeVerdict(r, budget);
  if (verdict === 'within') return h('span', { class: 'pill good', 'data-testid': 'budget-mark' }, 'within budget');
  if (verdict === 'over') return h('span', { class: 'pill bad', 'data-testid': 'budget-mark' }, 'over budget');
  const side = verdict === 'undecided-met' ? 'met on the typical figure' : 'missed on the typical figure';
  return h('span', { class: 'pill warn', 'data-testid': 'budget-mark', title: `The ${formatMs(budget)} ${unit} budget lies inside the estimated range (${formatMs(r.low)}–${formatMs(r.high)} ${unit}): ${side}, not decided by the estimate. Measure on the device (edgeplan measure) to decide it.` }, `not decided (${side})`);
}

function recommendationBlock(top: Recommendation, latencyBudget: number | undefined): HTMLElement {
  const current = JSON.stringify(getAt(plan, ['compression', 'techniques']) ?? []);
  const lat = top.predicted.latencyMs;
  const verdict = latencyMetOnTypicalOnly(top, latencyBudget)
    ? `Meets every budget on the typical figures; the ${formatMs(latencyBudget!)} ms latency budget lies inside the predicted range, so the estimate does not decide it: measure on the device.`
    : top.meetsAll
      ? 'Meets every budget.'
      : top.misses.join(' ');
  const proposed = top.steps.length ? top.steps.map((s) => s.technique) : ['none'];
  const same = current === JSON.stringify(proposed);
  return h(
    'div',
    { class: 'recommendation', 'data-testid': 'recommendation' },
    h('p', {}, top.summary),
    h('ol', {}, ...top.steps.map((s) => h('li', {}, h('strong', {}, s.title), ` — ${s.why}`, s.measured ? h('span', { class: 'measured-mark', 'data-testid': 'step-measured' }, ` Measured on your data (${s.measured.date}): ${s.measured.accuracyDropPoints !== null ? `accuracy drop ${s.measured.accuracyDropPoints.toFixed(2)} points` : 'fidelity only (no labels)'}${s.measured.top1Agreement !== null ? `, top-1 agreement ${formatPercent(s.measured.top1Agreement)}` : ''}.`) : null))),
    h('p', { class: 'small', 'data-testid': 'recommendation-predicted' }, `Predicted: ${withUnit(formatMs(lat.typical), 'ms')}${Number.isFinite(lat.low) && Number.isFinite(lat.high) ? ` (${formatMs(lat.low)}–${formatMs(lat.high)})` : ''}${top.predicted.latencyMeasured ? ` (measured: ${top.predicted.latencyMeasured.runs} run${top.predicted.latencyMeasured.runs === 1 ? '' : 's'} of the model as it is)` : ''}, ${formatBytes(top.predicted.memoryBytes)}, accuracy drop ${formatMs(top.predicted.accuracyDrop.low)}–${formatMs(top.predicted.accuracyDrop.high)} points. ${verdict}`),
    button(same ? 'The plan uses this pipeline' : 'Use this pipeline', () => {
      setValue(['compression', 'techniques'], proposed);
      rerenderKeepingFocus('use-recommended');
    }, { id: 'use-recommended', class: 'secondary', disabled: same, 'data-testid': 'use-recommended' }),
  );
}
