/**
 * The recognizer rules of the model areas other than posted interrupts (whose catalogue is in
 * recognize.ts). One import per area.
 */
import { IPIV_RULES } from './ipiv';
import { PMI_RULES } from './pmi';
import { TLB_RULES } from './tlb';
import { RuleSet } from './types';

export const AREA_RULES: readonly RuleSet[] = [PMI_RULES, TLB_RULES, IPIV_RULES];

export type { RuleSet, StmtRule } from './types';
