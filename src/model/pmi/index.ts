/**
 * The PMI-delivery area (kvm-model.md §1 NMIs and LVTPC, §2 PMU; seed 001).
 */
import { AreaDefinition } from '../area';
import { staticAnswers } from '../programCompiler';
import { explainPmi, PMI_PROPERTY_INFO } from './explain';
import { PmiConfig, PmiToggles, buildPmiModel } from './model';
import { PMI_ERAS } from './profiles';
import { PMI_SCENARIOS } from './scenarios';
import { COUNTERS, pmiSemantics } from './semantics';

export const PMI_AREA: AreaDefinition<PmiConfig, PmiToggles> = {
  id: 'pmi',
  title: 'PMI delivery',
  eras: PMI_ERAS,
  scenarios: PMI_SCENARIOS,
  properties: PMI_PROPERTY_INFO,
  counters: COUNTERS,
  memoryModels: ['sc'],
  build: buildPmiModel,
  ...staticAnswers(pmiSemantics),
  explain: explainPmi,
};
