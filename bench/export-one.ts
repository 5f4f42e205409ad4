/**
 * Child process for the benchmark: builds a plan for the model given through the real pipeline and times the
 * four exports. `--long-word` puts a 20,000-character word (an allowed length) in the project name and a risk;
 * `--runs N` renders each format N times (default 5). Prints one JSON line with the timings and the peak RSS.
 */
import { analyzeFile } from '../src/analyzers';
import { buildPlanDocument } from '../src/planner/plan/document';
import { createDefaultPlan } from '../src/planner/plan';
import { benchExports } from '../src/export/bench';

async function main(): Promise<void> {
  const [file, ...flags] = process.argv.slice(2);
  const runsAt = flags.indexOf('--runs');
  const runs = runsAt >= 0 ? Number(flags[runsAt + 1]) : 5;
  const devices = ['coral-usb', 'rpi5', 'jetson-orin-nano'];
  let planJson: unknown;
  if (flags.includes('--long-word')) {
    const plan = createDefaultPlan(file, 'long-word', devices);
    const word = 'W'.repeat(20_000);
    plan.project.name = word;
    plan.risks = [{ description: word, likelihood: 'low', impact: 'high', mitigation: `${'x'.repeat(19_000)} done` }];
    planJson = plan;
  }
  const t0 = process.hrtime.bigint();
  const analysis = await analyzeFile(file);
  const doc = buildPlanDocument({ analysis, modelFile: file, deviceIds: devices, budgets: { latencyMs: 5, memoryMb: 64, accuracyDrop: 1 }, planJson });
  const planMs = Number(process.hrtime.bigint() - t0) / 1e6;
  const r = await benchExports(doc, { runs });
  process.stdout.write(JSON.stringify({ ...r, planMs, maxRssKb: process.resourceUsage().maxRSS }) + '\n');
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
