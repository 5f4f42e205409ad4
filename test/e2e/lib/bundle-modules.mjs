// Which modules of an esbuild bundle have run, from V8 function call counts.
// A non-minified esbuild bundle marks each module with a "// path/of/module.ext" line. A module that is loaded
// lazily (dynamic import() or require()) has its body inside one wrapper, `__esm({ "path"() {...} })` or
// `__commonJS({ "path"(exports, module) {...} })`, which runs when, and only when, the module is first loaded
// (its function declarations are hoisted outside the wrapper and do not count). A module without such a
// wrapper was hoisted to the bundle's top level and runs when the bundle loads, so it counts as loaded: the
// check errs towards "loaded", never towards "not loaded".

// esbuild writes the marker at column 0 after a blank line: "\n\n// src/host/core.ts\n"
const MARKER = /(?<=\n\n)\/\/ ([^\s]+\.(?:[cm]?[jt]sx?|json))$/gm;

/** The module regions of the bundle, in order: { path, pkg, start, end } (character offsets). */
export function moduleRegions(bundle) {
  const marks = [...bundle.matchAll(MARKER)].map((m) => ({ path: m[1], start: m.index }));
  return marks.map((m, i) => ({ ...m, pkg: packageOf(m.path), end: i + 1 < marks.length ? marks[i + 1].start : bundle.length }));
}

/** "node_modules/@scope/name/x.js" -> "@scope/name"; "node_modules/a/node_modules/b/y.js" -> "b"; "src/x.ts" -> "src/x.ts". */
export function packageOf(p) {
  const i = p.lastIndexOf('node_modules/');
  if (i < 0) return p;
  const parts = p.slice(i + 'node_modules/'.length).split('/');
  return parts[0].startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
}

/**
 * For each module region: whether it ran. `functions` are V8 precise-coverage entries of the bundle script:
 * { start, end, count } of each function's outer range.
 */
export function modulesRun(bundle, functions) {
  return moduleRegions(bundle).map((r) => {
    const at = bundle.indexOf(`${JSON.stringify(r.path)}(`, r.start);
    const wrapperStart = at >= 0 && at < r.end ? at : -1;
    // V8 reports a method's range from its name; allow for the quote and a little slack
    const wrapper = wrapperStart < 0 ? null : functions.find((f) => f.start >= wrapperStart && f.start <= wrapperStart + r.path.length + 4);
    return { ...r, wrapped: !!wrapper, ran: wrapper ? wrapper.count > 0 : true };
  });
}

/** Package (or source file) names that ran, and those that did not. */
export function packagesRun(bundle, functions) {
  const ran = new Set();
  const all = new Set();
  for (const m of modulesRun(bundle, functions)) {
    all.add(m.pkg);
    if (m.ran) ran.add(m.pkg);
  }
  return { ran, notRun: new Set([...all].filter((p) => !ran.has(p))), all };
}

/**
 * V8 resets its counters at every Profiler.takePreciseCoverage and afterwards reports only the functions that
 * ran since. This keeps running totals per function of one script: add(takeResult) after every take.
 */
export class CoverageTotals {
  constructor(url) {
    this.url = url;
    this.byStart = new Map();
  }

  add(result) {
    const script = result.find((s) => s.url === this.url);
    for (const f of script ? script.functions : []) {
      const r = f.ranges[0];
      const t = this.byStart.get(r.startOffset);
      if (t) t.count += r.count;
      else this.byStart.set(r.startOffset, { start: r.startOffset, end: r.endOffset, count: r.count });
    }
    return [...this.byStart.values()];
  }
}
