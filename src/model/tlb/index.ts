/**
 * The PV remote TLB flush area (kvm-model.md §2 "PV TLB flush"; seed 003).
 */
import { AreaDefinition } from '../area';
import { staticAnswers } from '../programCompiler';
import { TLB_PROPERTY_INFO, explainTlb } from './explain';
import { TlbConfig, TlbToggles, buildTlbModel } from './model';
import { TLB_ERAS } from './profiles';
import { TLB_SCENARIOS } from './scenarios';
import { COUNTERS, tlbSemantics } from './semantics';

export const TLB_AREA: AreaDefinition<TlbConfig, TlbToggles> = {
  id: 'tlb',
  title: 'PV remote TLB flush',
  eras: TLB_ERAS,
  scenarios: TLB_SCENARIOS,
  properties: TLB_PROPERTY_INFO,
  counters: COUNTERS,
  memoryModels: ['sc'],
  build: buildTlbModel,
  ...staticAnswers(tlbSemantics),
  explain: explainTlb,
};
