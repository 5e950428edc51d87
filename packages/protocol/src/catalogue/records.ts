import { z } from 'zod';
import { AutoScalePolicy } from './auto-scale.js';
import { baseEntityShape, StringMap } from './base.js';
import { Event, Status } from './status.js';

/** An IP address of a VNFC on one network. */
export const Ip = z.looseObject({ ...baseEntityShape, netName: z.string().optional(), ip: z.string().optional() });
/** An IP address of a VNFC on one network. */
export type Ip = z.infer<typeof Ip>;

/** A connection point of a VNF component (`VNFDConnectionPoint`). */
export const VNFDConnectionPoint = z.looseObject({
  ...baseEntityShape,
  type: z.string().optional(),
  virtual_link_reference: z.string().optional(),
  virtual_link_reference_id: z.string().optional(),
  floatingIp: z.string().optional(),
  fixedIp: z.string().optional(),
  chosenPool: z.string().optional(),
  interfaceId: z.number().int().optional(),
});
/** A connection point of a VNF component. */
export type VNFDConnectionPoint = z.infer<typeof VNFDConnectionPoint>;

/** A VNF component: the template of one VM. */
export const VNFComponent = z.looseObject({ ...baseEntityShape, connection_point: z.array(VNFDConnectionPoint).optional() });
/** A VNF component. */
export type VNFComponent = z.infer<typeof VNFComponent>;

/** One running VM of a VDU (extends VNFComponent). */
export const VNFCInstance = z.looseObject({
  ...VNFComponent.shape,
  vim_id: z.string().optional(),
  vc_id: z.string().optional(),
  hostname: z.string().optional(),
  state: z.string().optional(),
  vnfComponent: VNFComponent.optional(),
  floatingIps: z.array(Ip).optional(),
  ips: z.array(Ip).optional(),
});
/** One running VM of a VDU. */
export type VNFCInstance = z.infer<typeof VNFCInstance>;

/** The scripts run for one lifecycle event, in order. */
export const LifecycleEvent = z.looseObject({
  ...baseEntityShape,
  event: Event,
  lifecycle_events: z.array(z.string()).optional(),
});
/** The scripts run for one lifecycle event. */
export type LifecycleEvent = z.infer<typeof LifecycleEvent>;

/** An entry of a VNFR's `lifecycle_event_history`, written by the NFVO. */
export const HistoryLifecycleEvent = z.looseObject({
  ...baseEntityShape,
  event: z.string().optional(),
  description: z.string().optional(),
  executedAt: z.string().optional(),
});
/** An entry of a VNFR's history. */
export type HistoryLifecycleEvent = z.infer<typeof HistoryLifecycleEvent>;

/** One key/value of a configuration. */
export const ConfigurationParameter = z.looseObject({
  ...baseEntityShape,
  confKey: z.string(),
  value: z.string().optional(),
  description: z.string().optional(),
});
/** One key/value of a configuration. */
export type ConfigurationParameter = z.infer<typeof ConfigurationParameter>;

/** A named list of configuration parameters (`configurations`, `requires`, `provides`). */
export const Configuration = z.looseObject({
  ...baseEntityShape,
  name: z.string().optional(),
  configurationParameters: z.array(ConfigurationParameter).optional(),
});
/** A named list of configuration parameters. */
export type Configuration = z.infer<typeof Configuration>;

/** VNF-level dependency parameters: key → value. */
export const DependencyParameters = z.looseObject({ ...baseEntityShape, parameters: StringMap.optional() });
/** VNF-level dependency parameters. */
export type DependencyParameters = z.infer<typeof DependencyParameters>;

/** VNFC-level dependency parameters: source VNFC-instance id → parameters. */
export const VNFCDependencyParameters = z.looseObject({
  ...baseEntityShape,
  vnfcId: z.string().optional(),
  parameters: z.record(z.string(), DependencyParameters).optional(),
});
/** VNFC-level dependency parameters. */
export type VNFCDependencyParameters = z.infer<typeof VNFCDependencyParameters>;

/** The resolved parameters a target VNFR receives from its sources. */
export const VNFRecordDependency = z.looseObject({
  ...baseEntityShape,
  target: z.string().optional(),
  status: Status.optional(),
  idType: StringMap.optional(),
  parameters: z.record(z.string(), DependencyParameters).optional(),
  vnfcParameters: z.record(z.string(), VNFCDependencyParameters).optional(),
});
/** The resolved parameters a target VNFR receives from its sources. */
export type VNFRecordDependency = z.infer<typeof VNFRecordDependency>;

/** A virtual deployment unit: a group of identical VMs. */
export const VirtualDeploymentUnit = z.looseObject({
  ...baseEntityShape,
  name: z.string().optional(),
  vm_image: z.array(z.string()).optional(),
  parent_vdu: z.string().optional(),
  scale_in_out: z.number().int().optional(),
  hostname: z.string().optional(),
  vimInstanceName: z.array(z.string()).optional(),
  lifecycle_event: z.array(LifecycleEvent).optional(),
  monitoring_parameter: z.array(z.string()).optional(),
  vnfc: z.array(VNFComponent).optional(),
  vnfc_instance: z.array(VNFCInstance).optional(),
});
/** A virtual deployment unit. */
export type VirtualDeploymentUnit = z.infer<typeof VirtualDeploymentUnit>;

/** A VNF record: the runtime state of one deployed VNF. */
export const VirtualNetworkFunctionRecord = z.looseObject({
  ...baseEntityShape,
  name: z.string().optional(),
  type: z.string().optional(),
  endpoint: z.string().optional(),
  vendor: z.string().optional(),
  version: z.string().optional(),
  status: Status.optional(),
  task: z.string().optional(),
  parent_ns_id: z.string().optional(),
  descriptor_reference: z.string().optional(),
  packageId: z.string().optional(),
  deployment_flavour_key: z.string().optional(),
  cyclicDependency: z.boolean().optional(),
  lifecycle_event: z.array(LifecycleEvent).optional(),
  lifecycle_event_history: z.array(HistoryLifecycleEvent).optional(),
  configurations: Configuration.optional(),
  requires: Configuration.optional(),
  provides: Configuration.optional(),
  vdu: z.array(VirtualDeploymentUnit).optional(),
  vnf_address: z.array(z.string()).optional(),
  monitoring_parameter: z.array(z.string()).optional(),
  auto_scale_policy: z.array(AutoScalePolicy).optional(),
  connection_point: z.array(VNFDConnectionPoint).optional(),
});
/** A VNF record. */
export type VirtualNetworkFunctionRecord = z.infer<typeof VirtualNetworkFunctionRecord>;
