/**
 * Child process for the benchmark: analyses one model and prints {ms, maxRssKb, bytesRead} as JSON,
 * so every measurement gets a fresh process and its own peak RSS.
 */
import { analyzeFile } from '../src/analyzers';

async function main(): Promise<void> {
  const file = process.argv[2];
  const rssBefore = process.memoryUsage().rss;
  const t0 = process.hrtime.bigint();
  const r = await analyzeFile(file);
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  process.stdout.write(
    JSON.stringify({ ms, maxRssKb: process.resourceUsage().maxRSS, baseRssKb: Math.round(rssBefore / 1024), params: r.model.params, macs: r.model.macs }) + '\n',
  );
}

main().catch((e) => {
  process.stdout.write(JSON.stringify({ error: (e as Error).message }) + '\n');
  process.exit(1);
});
