/**
 * Runs the real CLI (bin/edgeplan → dist/cli.js) as a child process, the way a user runs it, with a
 * time limit, and records exit code, signal, stdout, stderr, wall time and the child's peak RSS.
 *
 * Peak RSS comes from a tiny preload (`node --require`) that writes process.resourceUsage().maxRSS to
 * file descriptor 3 when the CLI exits; the CLI itself is not changed. Children are started through a
 * small queue so a test file never runs more than `CLI_CONCURRENCY` of them at once.
 */
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import assert from 'node:assert/strict';
import { repoRoot } from './shared';

export const cliBin = path.join(repoRoot, 'bin', 'edgeplan');
export const cliBundle = path.join(repoRoot, 'dist', 'cli.js');
export const sampleModel = path.join(repoRoot, 'samples', 'tiny-cnn.onnx');

/** How many CLI children one test file runs at a time (2 cores; node --test runs two files at once). */
export const CLI_CONCURRENCY = 2;

export interface CliRun {
  args: string[];
  /** Exit code, or null when the child was killed by a signal (timeout). */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
  timedOut: boolean;
  /** Peak resident set size of the CLI process in bytes (null if it did not exit normally). */
  maxRssBytes: number | null;
  /** CPU time (user + system) of the CLI process in ms (null if it did not exit normally): its work, whatever the machine's load. */
  cpuMs: number | null;
  /**
   * With `ownGroup`: processes of the CLI's process group still alive (not zombies) once the CLI has exited,
   * as "pid command" lines — what it left behind. Empty without `ownGroup`.
   */
  leftovers: string[];
}

export interface RunOptions {
  /** Kill the child after this many ms (default 20 s). */
  timeoutMs?: number;
  cwd?: string;
  /** Close our end of the child's stdout at once, as `edgeplan ... | head -0` would (the child then meets EPIPE). */
  closeStdout?: boolean;
  /** Start the CLI in a process group of its own and report what of it outlives the CLI (`leftovers`, then killed). */
  ownGroup?: boolean;
  /** With ownGroup: do not kill the leftovers (the caller watches them go away on their own). */
  keepLeftovers?: boolean;
  /** Called with the child's pid once it runs (e.g. to signal it). */
  onSpawn?: (pid: number) => void;
}

/** Live (non-zombie) processes of process group `pgid`, as "pid command" lines (Linux ps). */
export function processGroupMembers(pgid: number): string[] {
  const r = spawnSync('ps', ['-e', '-o', 'pid=,pgid=,stat=,args='], { encoding: 'utf8' });
  if (r.status !== 0) return [];
  return r.stdout
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f.length >= 3 && Number(f[1]) === pgid && !f[2].startsWith('Z'))
    .map((f) => `${f[0]} ${f.slice(3).join(' ')}`);
}

const PRELOAD = `'use strict';
process.on('exit', () => {
  const u = process.resourceUsage();
  try { require('fs').writeSync(3, u.maxRSS * 1024 + ' ' + Math.round((u.userCPUTime + u.systemCPUTime) / 1000)); } catch (e) { /* fd 3 absent */ }
});
`;

let preloadFile: string | undefined;
function preload(): string {
  if (!preloadFile) {
    preloadFile = path.join(os.tmpdir(), `edgeplan-test-rss-preload-${process.pid}.js`);
    fs.writeFileSync(preloadFile, PRELOAD);
    process.on('exit', () => fs.rmSync(preloadFile!, { force: true }));
  }
  return preloadFile;
}

// A minimal FIFO semaphore.
let running = 0;
const waiting: (() => void)[] = [];
async function acquire(): Promise<void> {
  if (running < CLI_CONCURRENCY) {
    running++;
    return;
  }
  await new Promise<void>((resolve) => waiting.push(resolve));
}
function release(): void {
  const next = waiting.shift();
  if (next) next();
  else running--;
}

/** Runs `edgeplan ARGS...` (through bin/edgeplan) and resolves when it has exited or been killed. */
export async function runCli(args: string[], opts: RunOptions = {}): Promise<CliRun> {
  await acquire();
  try {
    return await spawnCli(args, opts);
  } finally {
    release();
  }
}

function spawnCli(args: string[], opts: RunOptions): Promise<CliRun> {
  const timeoutMs = opts.timeoutMs ?? 20_000;
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const env = { ...process.env };
    delete env.EDGEPLAN_DEBUG;
    delete env.NODE_OPTIONS;
    const child = spawn(process.execPath, ['--require', preload(), cliBin, ...args], {
      cwd: opts.cwd ?? repoRoot,
      env,
      stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
      detached: opts.ownGroup === true,
    });
    if (child.pid !== undefined) opts.onSpawn?.(child.pid);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const rss: Buffer[] = [];
    if (opts.closeStdout) child.stdout!.destroy();
    else child.stdout!.on('data', (d: Buffer) => out.push(d));
    child.stderr!.on('data', (d: Buffer) => err.push(d));
    (child.stdio[3] as NodeJS.ReadableStream).on('data', (d: Buffer) => rss.push(d));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      if (opts.ownGroup && child.pid !== undefined) {
        try {
          process.kill(-child.pid, 'SIGKILL');
          return;
        } catch {
          /* fall back to the CLI alone */
        }
      }
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const [rssText, cpuText] = Buffer.concat(rss).toString().trim().split(' ');
      const leftovers = opts.ownGroup && child.pid !== undefined ? processGroupMembers(child.pid) : [];
      if (opts.ownGroup && !opts.keepLeftovers && child.pid !== undefined && leftovers.length) {
        try {
          process.kill(-child.pid, 'SIGKILL'); // never leave them running after the test
        } catch {
          /* gone meanwhile */
        }
      }
      resolve({
        args,
        code,
        signal,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        ms: Date.now() - started,
        timedOut,
        maxRssBytes: rssText ? Number(rssText) : null,
        cpuMs: cpuText ? Number(cpuText) : null,
        leftovers,
      });
    });
  });
}

/** A short description of a run for assertion messages. */
export function describeRun(r: CliRun): string {
  const clip = (s: string): string => (s.length > 600 ? `${s.slice(0, 600)}…` : s);
  return `edgeplan ${r.args.join(' ')} → code ${r.code}${r.signal ? ` signal ${r.signal}` : ''}${r.timedOut ? ' (TIMED OUT)' : ''}, ${r.ms} ms${r.cpuMs !== null ? ` (${r.cpuMs} ms CPU)` : ''}\nstdout: ${clip(r.stdout)}\nstderr: ${clip(r.stderr)}`;
}

/** A stack trace line ("    at fn (file.js:1:2)") or an uncaught-error banner. */
const STACK_RE = /^\s+at .+(\(.*:\d+:\d+\)|:\d+:\d+)$|^\w*Error: |Uncaught|node:internal/m;

/** Exit 0, nothing on stderr that looks like a crash. */
export function assertOk(r: CliRun): void {
  assert.equal(r.timedOut, false, `timed out: ${describeRun(r)}`);
  assert.equal(r.code, 0, describeRun(r));
  assert.doesNotMatch(r.stderr, STACK_RE, `stack trace on stderr: ${describeRun(r)}`);
}

/** Exit 2 with the usage text (or a pointer to it) and nothing on stdout but help text. */
export function assertUsage(r: CliRun, message?: RegExp): void {
  assert.equal(r.timedOut, false, `timed out: ${describeRun(r)}`);
  assert.equal(r.code, 2, `expected exit 2 (usage): ${describeRun(r)}`);
  const all = r.stdout + r.stderr;
  assert.match(all, /edgeplan --help|Usage:/, `usage text or a pointer to --help expected: ${describeRun(r)}`);
  assert.doesNotMatch(all, STACK_RE, `stack trace: ${describeRun(r)}`);
  if (message) assert.match(r.stderr, message, describeRun(r));
}

/**
 * Exit 1 with exactly one line on stderr that starts with "edgeplan: ", is not an internal error,
 * and (when given) matches `message`. Returns that line.
 */
export function assertBadInput(r: CliRun, message?: RegExp): string {
  assert.equal(r.timedOut, false, `timed out: ${describeRun(r)}`);
  assert.equal(r.code, 1, `expected exit 1 (bad input): ${describeRun(r)}`);
  const lines = r.stderr.split('\n').filter((l, i, a) => !(i === a.length - 1 && l === ''));
  assert.equal(lines.length, 1, `expected exactly one line on stderr: ${describeRun(r)}`);
  const line = lines[0];
  assert.ok(line.startsWith('edgeplan: '), `stderr line must start with "edgeplan: ": ${describeRun(r)}`);
  assert.doesNotMatch(line, /internal error/, `an internal error is not a clear message: ${describeRun(r)}`);
  assert.doesNotMatch(line, /\bundefined\b|\[object Object\]|\bNaN\b/, `message leaks a programming value: ${describeRun(r)}`);
  assert.ok(line.length <= 1000, `message too long (${line.length} chars): ${describeRun(r)}`);
  assert.doesNotMatch(r.stderr, STACK_RE, `stack trace: ${describeRun(r)}`);
  if (message) assert.match(line, message, describeRun(r));
  return line;
}

/** Parses stdout as exactly one JSON object (fails with the run's description if it is not). */
export function parseJsonOut(r: CliRun): any {
  assertOk(r);
  assert.doesNotMatch(r.stdout, /\bNaN\b|\bInfinity\b/, `NaN/Infinity in JSON output: ${describeRun(r)}`);
  try {
    const v = JSON.parse(r.stdout);
    assert.ok(v && typeof v === 'object' && !Array.isArray(v), 'stdout must be one JSON object');
    return v;
  } catch (e) {
    assert.fail(`stdout is not one JSON object (${(e as Error).message}): ${describeRun(r)}`);
  }
}

/** Peak RSS limit for any CLI run on hostile input. */
export const MAX_RSS_BYTES = 500 * 1024 * 1024;

export function assertBoundedMemory(r: CliRun): void {
  if (r.maxRssBytes === null) assert.fail(`no RSS reported (the child did not exit normally): ${describeRun(r)}`);
  assert.ok(r.maxRssBytes < MAX_RSS_BYTES, `peak RSS ${(r.maxRssBytes / 2 ** 20).toFixed(0)} MiB ≥ 500 MiB: ${describeRun(r)}`);
}
