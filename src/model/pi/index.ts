/**
 * The posted-interrupt area (kvm-model.md §1–2; seeds 000 and 002).
 */
import { AreaDefinition } from '../area';
import { staticAnswers } from '../programCompiler';
import { explainPi, PI_PROPERTY_INFO } from './explain';
import { PiConfig, PiToggles, buildPiModel } from './model';
import { PI_ERAS } from './profiles';
import { PI_SCENARIOS, scaledScenario } from './scenarios';
import { COUNTERS, piSemantics } from './semantics';

export const PI_AREA: AreaDefinition<PiConfig, PiToggles> = {
  id: 'pi',
  title: 'posted interrupts',
  eras: PI_ERAS,
  scenarios: PI_SCENARIOS,
  scenarioFor: scaledScenario,
  properties: PI_PROPERTY_INFO,
  counters: COUNTERS,
  memoryModels: ['sc', 'tso'],
  build: buildPiModel,
  // No step is always nothing (piSemantics has no `inert`): its barriers are steps under
  // x86-TSO, and every other step it knows acts.
  ...staticAnswers(piSemantics),
  explain: explainPi,
};
