export { countExecutions, planEvent, scriptNameOf } from './plan.js';
export type {
  EventPlan,
  ExecuteCommand,
  PlanCommand,
  PlanOptions,
  SaveDependencyCommand,
  ScriptEvent,
  ScriptStep,
  VnfcConcurrency,
  VnfcWork,
} from './plan.js';
