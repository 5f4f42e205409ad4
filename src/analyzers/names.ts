/**
 * Limits on the names a model file supplies (node, tensor, op, layer names and keys), shared by the readers.
 *
 * - A budget on the total bytes of strings one file makes us decode (LIMITS.maxNameBytes): sixty 16 MB node
 *   names are a hostile file, refused with one line, not 1 GB of strings.
 * - Names longer than LIMITS.maxNameChars are shortened to "<first 64 characters>…[<length> characters,
 *   #<hash>]". The result is a pure function of the name, so every reference to the same tensor still matches,
 *   and output stays readable. It also keeps huge strings out of Map keys: V8 hashes a string longer than
 *   16,383 characters by its length alone, so a few thousand long names of one length would make every lookup
 *   compare them all (quadratic work).
 * - An interner, so a million nodes share one string per op type.
 */
import { createHash } from 'crypto';
import { LIMITS, ModelFileError } from './errors';
import { allSubgraphs, type ModelGraph } from './graph';

/** The name as the analysis uses it: itself, or a shortened form that is unique for the full name. */
export function shortName(name: string): string {
  if (name.length <= LIMITS.maxNameChars) return name;
  const hash = createHash('sha256').update(name, 'utf8').digest('hex').slice(0, 16);
  return `${name.slice(0, 64)}…[${name.length} characters, #${hash}]`;
}

/** Counts the string bytes a file makes a reader decode (or the names it keeps, with `take`), and shortens names. One per file read. */
export class NameBudget {
  private bytes = 0;
  /** How many names were shortened. */
  shortened = 0;

  constructor(
    readonly file: string,
    private readonly maxBytes: number = LIMITS.maxNameBytes,
  ) {}

  /** Counts `n` decoded bytes; throws a ModelFileError naming the file past the budget. */
  spend(n: number, what: string): void {
    this.bytes += n;
    if (this.bytes > this.maxBytes) {
      throw new ModelFileError(
        this.file,
        `its names and strings add up to more than ${Math.round(this.maxBytes / 2 ** 20)} MiB (at ${what}): hostile or corrupted, refused`,
      );
    }
  }

  /**
   * A name a reader keeps as it is (layer, tensor, model names of Core ML and Keras): counted, and refused with
   * `what` named once the names add up to more than the budget (a very long name copied into every layer).
   */
  take(name: string, what = 'names'): string {
    this.bytes += name.length;
    if (this.bytes > this.maxBytes) {
      throw new ModelFileError(this.file, `${what} add up to more than ${Math.round(this.maxBytes / 2 ** 20)} MiB (a very long name repeated in many layers?): refusing`);
    }
    return name;
  }

  /** A name the file supplies: counted (when not already) and shortened if absurdly long. */
  name(s: string, what = 'name', counted = false): string {
    if (!counted) this.spend(s.length, what);
    if (s.length <= LIMITS.maxNameChars) return s;
    this.shortened++;
    return shortName(s);
  }

  /** A warning for the analysis when names were shortened, else null. */
  note(): string | null {
    return this.shortened
      ? `${this.shortened} name${this.shortened === 1 ? ' is' : 's are'} longer than ${LIMITS.maxNameChars} characters and shown shortened (first 64 characters, length and a hash)`
      : null;
  }
}

/** One shared string per distinct value (op types, domains), up to `max` distinct values. */
export class Interner {
  private readonly table = new Map<string, string>();
  constructor(private readonly max = 100_000) {}
  intern(s: string): string {
    const known = this.table.get(s);
    if (known !== undefined) return known;
    if (this.table.size < this.max && s.length <= 256) this.table.set(s, s);
    return s;
  }
}

/**
 * The same limits on any reader's result, after it read the file (the formats whose readers build names by
 * joining strings — a 16 MB model name prefixed to every layer name — are caught here too): node and declared
 * layer names and ops add up to at most LIMITS.maxNameBytes (lengths of joined strings cost nothing to take),
 * and longer names than LIMITS.maxNameChars are shortened in place. Tensor names stay as the reader made them
 * (they are keys; the readers shorten them consistently). Returns a warning when names were shortened.
 */
export function limitGraphNames(g: ModelGraph): string | null {
  const budget = new NameBudget(g.file);
  for (const sg of allSubgraphs(g)) {
    for (const node of sg.nodes) {
      node.name = budget.name(node.name, 'node names');
      node.op = budget.name(node.op, 'op types');
    }
  }
  for (const l of g.declaredLayers ?? []) {
    l.name = budget.name(l.name, 'layer names');
    l.op = budget.name(l.op, 'layer types');
  }
  return budget.note();
}
