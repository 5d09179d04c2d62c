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
  /** Condition operands (compact text) and the atom they read, or a constant. A leading `!` negates. */
  readonly atoms: readonly (readonly [RegExp, string | boolean])[];
  /** Statements with no effect the model could observe, and why. */
  readonly inert?: readonly (readonly [RegExp, string])[];
  /**
   * A loop the area models as steps of its own (a cmpxchg retry loop, say): given the items of
   * the loop body, the loop's condition (compact text) and the program, the tokens, or undefined.
   */
  readonly loops?: (body: readonly Item[], cond: string, program: string, line: number) => Token[] | undefined;
  /**
   * Condition operands whose meaning depends on the function they are in (a local such as `r`
   * means one thing in each function): given the operand and the program, the atom or constant.
   */
  readonly programAtoms?: (text: string, program: string) => string | boolean | undefined;
  /**
   * `return <value>;` where the value is a step (`return __apic_accept_irq(...)`) or the result
   * the model follows (`return true;` in a predicate): the tokens to emit before the return.
   */
  readonly returns?: (value: string, program: string, line: number) => Token[] | undefined;
  /**
   * A condition that calls a modelled function for its effect and tests its result
   * (`if (reprogram_counter(pmc))`): the step to run first and the condition on its result.
   */
  /**
   * Whether `continue` in this program ends one counter's pass of a loop the area unrolls (the
   * loop body runs to the end of the function), so it reads as a return from that pass.
   */
  readonly continues?: (program: string) => boolean;
  readonly condCalls?: (cond: string, program: string, line: number) => { readonly steps: readonly Token[]; readonly cond: string | boolean } | undefined;
}
