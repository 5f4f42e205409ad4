/**
 * What edgeplan writes to a terminal. Model files supply names (tensors, ops, dimensions, file names of
 * external data); a name holding ESC, OSC, BEL, CR or a C1 control would drive the user's terminal (move the
 * cursor, rewrite earlier lines, set the window title, hide text). Every line edgeplan prints passes through
 * `terminalSafe`, which writes such characters as visible `\uXXXX` escapes: in the text output they show up as
 * what they are; in `--json` output they can only occur inside strings, where `\uXXXX` is the JSON escape of
 * the same character, so the JSON parses to exactly the same values.
 */

/**
 * C0 controls except tab and newline, DEL, C1 controls, and the Unicode bidirectional overrides and isolates
 * that reorder what is displayed ("Trojan Source").
 */
const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

const escape = (c: string): string => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;

/** `text` with every character a terminal would act on written as a visible escape (tab and newline kept). */
export function terminalSafe(text: string): string {
  return text.replace(UNSAFE, escape);
}

/** One table cell or inline value: like terminalSafe, and newlines and tabs escaped too so the cell stays one line. */
export function cellSafe(text: string): string {
  return terminalSafe(text).replace(/[\t\n]/g, escape);
}

/** A name shortened for a table: at most `max` characters, keeping its start and end. */
export function clip(text: string, max = 80): string {
  if (text.length <= max) return text;
  const tail = Math.floor(max / 4);
  return `${text.slice(0, max - tail - 1)}…${text.slice(text.length - tail)}`;
}
