/**
 * The IPIv PID-table set-up area (kvm-model.md §1 "IPI virtualization", §2 "IPIv set-up";
 * seed 004).
 */
import { AreaDefinition } from '../area';
import { staticAnswers } from '../programCompiler';
import { IPIV_PROPERTY_INFO, explainIpiv } from './explain';
import { IpivConfig, IpivToggles, buildIpivModel } from './model';
import { IPIV_ERAS } from './profiles';
import { IPIV_SCENARIOS } from './scenarios';
import { COUNTERS, ipivSemantics } from './semantics';

export const IPIV_AREA: AreaDefinition<IpivConfig, IpivToggles> = {
  id: 'ipiv',
  title: 'IPIv PID-table set-up',
  eras: IPIV_ERAS,
  scenarios: IPIV_SCENARIOS,
  properties: IPIV_PROPERTY_INFO,
  counters: COUNTERS,
  memoryModels: ['sc'],
  build: buildIpivModel,
  ...staticAnswers(ipivSemantics),
  explain: explainIpiv,
};
