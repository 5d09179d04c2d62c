/**
 * How a model area teaches the recognizer its statements. Each area has a file here, listed
 * in index.ts; recognize.ts tries the posted-interrupt catalogue first, then these.
 */
import { Item } from '../csource';
import { Token } from '../tokens';

export interface StmtRule {
  /** Matched against the statement's compact text (see csource.compact), without the `;`. */
  readonly re: RegExp;
  /** The step: an op name, or [op, args]; null to let the next rule try. */
  readonly make: (m: RegExpExecArray, program: string) => string | [string, string[]] | null;
}

export interface RuleSet {
  readonly area: string;
  readonly statements: readonly StmtRule[];
  /**
   * Condition operands (compact text) and the atom they read, or a constant. A leading `!`
   * negates. An optional third element limits the atom to the programs it returns true for.
   */
  readonly atoms: readonly (readonly [RegExp, string | boolean, ((program: string) => boolean)?])[];
  /** Statements with no effect the model could observe, and why. */
  readonly inert?: readonly (readonly [RegExp, string])[];
  /**
   * A loop the area models as steps of its own (a cmpxchg retry loop, say): given the items of
   * the loop body, the loop's condition (compact text), the program, the `do` line and the body
   * as the recognizer already read it (`{`, steps, `}`), the tokens, or undefined.
   */
  readonly loops?: (body: readonly Item[], cond: string, program: string, line: number, recognized: readonly Token[]) => Token[] | undefined;
  /**
   * Iterator macros that head a loop over the block after them (`for_each_cpu(cpu, mask) {`),
   * matched against the macro's compact text: the step that starts the iteration and the
   * condition atom that advances it (false when done). The loop becomes
   * `init, loop { if !next { break }, body }`.
   */
  readonly iterators?: readonly { readonly re: RegExp; readonly init: (m: RegExpExecArray) => [string, string[]]; readonly next: (m: RegExpExecArray) => string }[];
}
