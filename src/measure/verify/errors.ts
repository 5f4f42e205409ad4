/**
 * The errors verification reports as bad input (one line, exit 1 in the CLI): a data file that cannot be used
 * (DataError names it), and everything else about the request or the run (VerifyError).
 */
export class VerifyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'VerifyError';
  }
}

/** A data file that cannot be used; `file` is the name to show (relative to the data folder). */
export class DataError extends VerifyError {
  constructor(
    readonly file: string,
    readonly reason: string,
  ) {
    super(`${file}: ${reason}`);
    this.name = 'DataError';
  }
}
