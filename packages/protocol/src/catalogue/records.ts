import { z } from 'zod';
import { AutoScalePolicy } from './auto-scale.js';
import { baseEntityShape, StringMap } from './base.js';
import { Event, Status } from './status.js';

const IpSchema = z.looseObject({ ...baseEntityShape, netName: z.string().optional(), ip: z.string().optional() });
/** An IP address of a VNFC on one network. */
export interface Ip extends z.infer<typeof IpSchema> {}
/** An IP address of a VNFC on one network. */
export const Ip: z.ZodType<Ip> = IpSchema;

const VNFDConnectionPointSchema = z.looseObject({
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
export interface VNFDConnectionPoint extends z.infer<typeof VNFDConnectionPointSchema> {}
/** A connection point of a VNF component (`VNFDConnectionPoint`). */
export const VNFDConnectionPoint: z.ZodType<VNFDConnectionPoint> = VNFDConnectionPointSchema;

const VNFComponentSchema = z.looseObject({ ...baseEntityShape, connection_point: z.array(VNFDConnectionPoint).optional() });
/** A VNF component. */
export interface VNFComponent extends z.infer<typeof VNFComponentSchema> {}
/** A VNF component: the template of one VM. */
export const VNFComponent: z.ZodType<VNFComponent> = VNFComponentSchema;

const VNFCInstanceSchema = z.looseObject({
  ...VNFComponentSchema.shape,
  vim_id: z.string().optional(),
  vc_id: z.string().optional(),
  hostname: z.string().optional(),
  state: z.string().optional(),
  vnfComponent: VNFComponent.optional(),
  floatingIps: z.array(Ip).optional(),
  ips: z.array(Ip).optional(),
});
/** One running VM of a VDU. */
export interface VNFCInstance extends z.infer<typeof VNFCInstanceSchema> {}
/** One running VM of a VDU (extends VNFComponent). */
export const VNFCInstance: z.ZodType<VNFCInstance> = VNFCInstanceSchema;

const LifecycleEventSchema = z.looseObject({
  ...baseEntityShape,
  event: Event,
  lifecycle_events: z.array(z.string()).optional(),
});
/** The scripts run for one lifecycle event. */
export interface LifecycleEvent extends z.infer<typeof LifecycleEventSchema> {}
/** The scripts run for one lifecycle event, in order. */
export const LifecycleEvent: z.ZodType<LifecycleEvent> = LifecycleEventSchema;

const HistoryLifecycleEventSchema = z.looseObject({
  ...baseEntityShape,
  event: z.string().optional(),
  description: z.string().optional(),
  executedAt: z.string().optional(),
});
/** An entry of a VNFR's history. */
export interface HistoryLifecycleEvent extends z.infer<typeof HistoryLifecycleEventSchema> {}
/** An entry of a VNFR's `lifecycle_event_history`, written by the NFVO. */
export const HistoryLifecycleEvent: z.ZodType<HistoryLifecycleEvent> = HistoryLifecycleEventSchema;

const ConfigurationParameterSchema = z.looseObject({
  ...baseEntityShape,
  confKey: z.string(),
  value: z.string().optional(),
  description: z.string().optional(),
});
/** One key/value of a configuration. */
export interface ConfigurationParameter extends z.infer<typeof ConfigurationParameterSchema> {}
/** One key/value of a configuration. */
export const ConfigurationParameter: z.ZodType<ConfigurationParameter> = ConfigurationParameterSchema;

const ConfigurationSchema = z.looseObject({
  ...baseEntityShape,
  name: z.string().optional(),
  configurationParameters: z.array(ConfigurationParameter).optional(),
});
/** A named list of configuration parameters. */
export interface Configuration extends z.infer<typeof ConfigurationSchema> {}
/** A named list of configuration parameters (`configurations`, `requires`, `provides`). */
export const Configuration: z.ZodType<Configuration> = ConfigurationSchema;

const DependencyParametersSchema = z.looseObject({ ...baseEntityShape, parameters: StringMap.optional() });
/** VNF-level dependency parameters. */
export interface DependencyParameters extends z.infer<typeof DependencyParametersSchema> {}
/** VNF-level dependency parameters: key → value. */
export const DependencyParameters: z.ZodType<DependencyParameters> = DependencyParametersSchema;

const VNFCDependencyParametersSchema = z.looseObject({
  ...baseEntityShape,
  vnfcId: z.string().optional(),
  parameters: z.record(z.string(), DependencyParameters).optional(),
});
/** VNFC-level dependency parameters. */
export interface VNFCDependencyParameters extends z.infer<typeof VNFCDependencyParametersSchema> {}
/** VNFC-level dependency parameters: source VNFC-instance id → parameters. */
export const VNFCDependencyParameters: z.ZodType<VNFCDependencyParameters> = VNFCDependencyParametersSchema;

const VNFRecordDependencySchema = z.looseObject({
  ...baseEntityShape,
  target: z.string().optional(),
  status: Status.optional(),
  idType: StringMap.optional(),
  parameters: z.record(z.string(), DependencyParameters).optional(),
  vnfcParameters: z.record(z.string(), VNFCDependencyParameters).optional(),
});
/** The resolved parameters a target VNFR receives from its sources. */
export interface VNFRecordDependency extends z.infer<typeof VNFRecordDependencySchema> {}
/** The resolved parameters a target VNFR receives from its sources. */
export const VNFRecordDependency: z.ZodType<VNFRecordDependency> = VNFRecordDependencySchema;

const VirtualDeploymentUnitSchema = z.looseObject({
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
export interface VirtualDeploymentUnit extends z.infer<typeof VirtualDeploymentUnitSchema> {}
/** A virtual deployment unit: a group of identical VMs. */
export const VirtualDeploymentUnit: z.ZodType<VirtualDeploymentUnit> = VirtualDeploymentUnitSchema;

const VirtualNetworkFunctionRecordSchema = z.looseObject({
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
export interface VirtualNetworkFunctionRecord extends z.infer<typeof VirtualNetworkFunctionRecordSchema> {}
/** A VNF record: the runtime state of one deployed VNF. */
export const VirtualNetworkFunctionRecord: z.ZodType<VirtualNetworkFunctionRecord> = VirtualNetworkFunctionRecordSchema;
