/** Typed errors of the pure layers. The CLI and the editor turn them into one-line reasons. */

export class RaceLensError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** The model, a scenario, a profile or a `--set` override is malformed. */
export class ModelError extends RaceLensError {}

/**
 * A transition writes a value outside its variable's declared range (a patch that decrements a
 * counter twice takes it below zero): the model cannot represent where the programs lead. The
 * Promela export asserts the same range before every write, so SPIN finds the same write.
 */
export class OutOfRangeError extends ModelError {}

/** The user's input (a patch file, an argument) cannot be used. */
export class InputError extends RaceLensError {}

/** The caller's AbortSignal (or CancelSignal) fired: the work stopped without a result. */
export class CancelledError extends RaceLensError {
  constructor(what = 'review') {
    super(`${what} cancelled`);
  }
}
