/**
 * Where plan drafts live and how they are written: `.edgeplan/<slug>.plan.json` in the model's workspace
 * folder, written atomically (temp file + rename) so a crash never leaves half a plan. No `vscode` import.
 */
import * as fs from 'fs';
import * as path from 'path';
import { ensureDir } from '../fs-util';

export const PLAN_DIR = '.edgeplan';

/** A file-name-safe slug from a workspace-relative model path: "models/MobileNet v2.onnx" → "models-mobilenet-v2". */
export function planSlug(modelRelPath: string): string {
  const noExt = modelRelPath.replace(/\\/g, '/').replace(/\.[^./]+$/, '');
  const slug = noExt
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 100)
    .replace(/-+$/g, '');
  return slug || 'model';
}

/** The plan file for a model, relative to its workspace folder (always forward slashes). */
export function planFileFor(modelRelPath: string): string {
  return `${PLAN_DIR}/${planSlug(modelRelPath)}.plan.json`;
}

/** Writes text to `file` atomically: a temp file beside it, then rename over the target. */
export function writeFileAtomic(file: string, text: string | Uint8Array): void {
  ensureDir(path.dirname(file));
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${Date.now()}.tmp`);
  try {
    fs.writeFileSync(tmp, text);
    fs.renameSync(tmp, file);
  } catch (e) {
    try {
      fs.unlinkSync(tmp);
    } catch {
      // the temp file may not exist
    }
    throw e;
  }
}

/**
 * Runs `fn` once `delayMs` after the last `schedule()`; `flush()` runs a pending call now.
 * Used for the plan file (write after typing pauses) and for re-estimation.
 */
export class Debouncer {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private pending = false;

  constructor(
    private readonly delayMs: number,
    private readonly fn: () => void,
  ) {}

  schedule(): void {
    this.pending = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.flush(), this.delayMs);
  }

  get isPending(): boolean {
    return this.pending;
  }

  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.pending) return;
    this.pending = false;
    this.fn();
  }

  cancel(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.pending = false;
  }
}
