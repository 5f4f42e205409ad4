/**
 * Freezes the train / held-out split of the published latencies before a change is judged by it.
 *
 *   node dist/scripts/calibration/freeze-split.js [--csv ../shared/calibration/latency.csv] [--out scripts/calibration/heldout-split.json]
 *
 * Appends every CSV row that is not yet in the split file, assigned by the outcome-blind rule in
 * scripts/calibration/split.ts; rows already frozen never move. Commit the file on its own, before the change
 * it will judge, and name that commit when reporting held-out figures.
 */
import * as fs from 'fs';
import * as path from 'path';
import { parseCsv } from './fit';
import { freeze, type FrozenSplit } from './split';

const repo = path.resolve(__dirname, '..', '..', '..');
const arg = (name: string, def: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : def;
};
const csvPath = path.resolve(arg('csv', path.join(repo, '..', 'shared', 'calibration', 'latency.csv')));
const outPath = path.resolve(arg('out', path.join(repo, 'scripts', 'calibration', 'heldout-split.json')));

const rows = parseCsv(fs.readFileSync(csvPath, 'utf8'));
const existing = fs.existsSync(outPath) ? (JSON.parse(fs.readFileSync(outPath, 'utf8')) as FrozenSplit) : null;
const { split, added } = freeze(rows, existing, new Date().toISOString().slice(0, 10));
fs.mkdirSync(path.dirname(outPath), { recursive: true });
fs.writeFileSync(outPath, JSON.stringify(split, null, 1) + '\n');
const held = split.rows.filter((r) => r.split === 'held-out').length;
process.stdout.write(`${added} row(s) frozen; ${split.rows.length} in all, ${held} held out, ${new Set(split.rows.map((r) => r.publication)).size} publications -> ${path.relative(repo, outPath)}\n`);
