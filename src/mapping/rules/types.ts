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
  /**
   * The programs whose fragments these rules read. Without it the rules apply to every program;
   * with it, `statements`, `atoms`, `inert` and `returns` apply only inside these programs, so an
   * area's spellings (`if (r)`, `return -EINVAL`) never change how another area's code is read.
   */
  readonly owns?: (program: string) => boolean;
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
   * `return <value>;`: the steps that compute the value before the function returns (a call,
   * `return __apic_accept_irq(...)`; the error code the caller tests; the result a predicate
   * the model follows returns, `return true;`), or undefined when it is not the area's concern.
   */
  readonly returns?: (value: string, program: string, line: number) => Token[] | undefined;
  /**
   * Steps that are calls of functions (programs). A fragment that calls one the profile has no
   * program for (a function a posting adds, or a later kernel's) cannot be modelled: it is
   * reported, never compiled into a step nothing defines.
   */
  readonly calls?: ReadonlySet<string>;
  /** Kernel function names that are a program of the model under another name (old spellings). */
  readonly aliases?: Readonly<Record<string, string>>;
  /**
   * Functions with a `switch` whose cases are programs of their own, named `function.CASE`
   * (`kvm_vm_ioctl_enable_cap.KVM_CAP_MAX_VCPU_ID`): a hunk's lines are split at `case` labels.
   * Lines a hunk shows before its first label belong to the case whose signature (a field only
   * that case touches) they mention, if exactly one does; otherwise to the function.
   */
  readonly cases?: Readonly<Record<string, readonly (readonly [RegExp, string])[]>>;
  /**
   * Condition operands whose meaning depends on the function they are in (a local such as `r`
   * means one thing in each function): given the operand and the program, the atom or constant.
   */
  readonly programAtoms?: (text: string, program: string) => string | boolean | undefined;
  /**
   * Whether `continue` in this program ends one counter's pass of a loop the area unrolls (the
   * loop body runs to the end of the function), so it reads as a return from that pass.
   */
  readonly continues?: (program: string) => boolean;
  /**
   * A condition that calls a modelled function for its effect and tests its result
   * (`if (reprogram_counter(pmc))`): the step to run first and the condition on its result.
   */
  readonly condCalls?: (cond: string, program: string, line: number) => { readonly steps: readonly Token[]; readonly cond: string | boolean } | undefined;
  /**
   * Iterator macros that head a loop over the block after them (`for_each_cpu(cpu, mask) {`),
   * matched against the macro's compact text: the step that starts the iteration and the
   * condition atom that advances it (false when done). The loop becomes
   * `init, loop { if !next { break }, body }`.
   */
  readonly iterators?: readonly { readonly re: RegExp; readonly init: (m: RegExpExecArray) => [string, string[]]; readonly next: (m: RegExpExecArray) => string }[];
}
