/**
 * The recognizer rules of the model areas other than posted interrupts (whose catalogue is in
 * recognize.ts). One import per area.
 */
import { RuleSet } from './types';

export const AREA_RULES: readonly RuleSet[] = [];

export type { RuleSet, StmtRule } from './types';
