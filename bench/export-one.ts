/** Child process for the benchmark: builds the sample plan through the real pipeline and times the four exports. */
import { analyzeFile } from '../src/analyzers';
import { buildPlanDocument } from '../src/planner/plan/document';
import { benchExports } from '../src/export/bench';

async function main(): Promise<void> {
  const file = process.argv[2];
  const analysis = await analyzeFile(file);
  const doc = buildPlanDocument({ analysis, modelFile: file, deviceIds: ['coral-usb', 'rpi5', 'jetson-orin-nano'], budgets: { latencyMs: 5, memoryMb: 64, accuracyDrop: 1 } });
  const r = await benchExports(doc, { runs: 5 });
  process.stdout.write(JSON.stringify(r) + '\n');
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
