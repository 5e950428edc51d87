/** @vnfkit/vnfm-sdk/testing — an NFVO simulator and VIMs so VNFM authors can test their VNFMs. */
export { NfvoSimulator } from './nfvo-simulator.js';
export type { NfvoSimulatorOptions, PackageInput, Faults, MessageEvent } from './nfvo-simulator.js';
export type { VimDriver, Vm, VmRequest } from './vim-driver.js';
export { LocalVim } from './local-vim.js';
export type { LocalVimOptions } from './local-vim.js';
export { InProcessVim } from './in-process-vim.js';
export { planDependencies, buildDependency, vnfValues, vnfcValues } from './dependencies.js';
export type { DependencyPlan } from './dependencies.js';
export { RabbitmqctlAccounts, MANAGER_USER, managerPermissions, vnfmPermissions } from './broker-accounts.js';
export type { BrokerAccounts, RabbitmqctlAccountsOptions, Permissions } from './broker-accounts.js';
