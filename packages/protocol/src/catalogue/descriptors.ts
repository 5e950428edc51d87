import { z } from 'zod';
import { baseEntityShape, StringMap } from './base.js';
import { AutoScalePolicy } from './auto-scale.js';
import { Configuration, LifecycleEvent, VNFDConnectionPoint, VirtualDeploymentUnit } from './records.js';

const DeploymentFlavourSchema = z.looseObject({
  ...baseEntityShape,
  flavour_key: z.string().optional(),
  extId: z.string().optional(),
  ram: z.number().optional(),
  disk: z.number().optional(),
  vcpus: z.number().optional(),
});
/** A flavour. */
export interface DeploymentFlavour extends z.infer<typeof DeploymentFlavourSchema> {}
/** A flavour (`DeploymentFlavour`, also `VNFDeploymentFlavour`). */
export const DeploymentFlavour: z.ZodType<DeploymentFlavour> = DeploymentFlavourSchema;

const VirtualLinkRecordSchema = z.looseObject({
  ...baseEntityShape,
  name: z.string().optional(),
  extId: z.string().optional(),
  cidr: z.string().optional(),
  status: z.string().optional(),
});
/** A virtual link record. */
export interface VirtualLinkRecord extends z.infer<typeof VirtualLinkRecordSchema> {}
/** A virtual link record (`vlrs` of INSTANTIATE). */
export const VirtualLinkRecord: z.ZodType<VirtualLinkRecord> = VirtualLinkRecordSchema;

const VirtualNetworkFunctionDescriptorSchema = z.looseObject({
  ...baseEntityShape,
  name: z.string().optional(),
  type: z.string().optional(),
  endpoint: z.string().optional(),
  vendor: z.string().optional(),
  version: z.string().optional(),
  vnfPackageLocation: z.string().optional(),
  cyclicDependency: z.boolean().optional(),
  lifecycle_event: z.array(LifecycleEvent).optional(),
  configurations: Configuration.optional(),
  vdu: z.array(VirtualDeploymentUnit).optional(),
  deployment_flavour: z.array(DeploymentFlavour).optional(),
  virtual_link: z.array(z.looseObject({ ...baseEntityShape, name: z.string().optional() })).optional(),
  requires: z.record(z.string(), z.looseObject({ parameters: z.array(z.string()).optional() })).optional(),
  provides: z.array(z.string()).optional(),
  auto_scale_policy: z.array(AutoScalePolicy).optional(),
  connection_point: z.array(VNFDConnectionPoint).optional(),
});
/** A VNF descriptor. */
export interface VirtualNetworkFunctionDescriptor extends z.infer<typeof VirtualNetworkFunctionDescriptorSchema> {}
/** A VNF descriptor. `requires` maps a source VNFD name to the parameters wanted from it. */
export const VirtualNetworkFunctionDescriptor: z.ZodType<VirtualNetworkFunctionDescriptor> = VirtualNetworkFunctionDescriptorSchema;

const VNFDependencySchema = z.looseObject({
  ...baseEntityShape,
  // The samples write source/target as `{name}` objects or as plain VNFD names.
  source: z.union([z.string(), z.looseObject({ name: z.string() })]),
  target: z.union([z.string(), z.looseObject({ name: z.string() })]),
  parameters: z.array(z.string()).optional(),
});
/** A dependency of an NSD. */
export interface VNFDependency extends z.infer<typeof VNFDependencySchema> {}
/** A dependency of an NSD: `target` needs `parameters` from `source` (by VNFD name). */
export const VNFDependency: z.ZodType<VNFDependency> = VNFDependencySchema;

const NetworkServiceDescriptorSchema = z.looseObject({
  ...baseEntityShape,
  name: z.string().optional(),
  vendor: z.string().optional(),
  version: z.string().optional(),
  vnfd: z.array(VirtualNetworkFunctionDescriptor),
  vld: z.array(z.looseObject({ ...baseEntityShape, name: z.string().optional() })).optional(),
  vnf_dependency: z.array(VNFDependency).optional(),
  metadata: StringMap.optional(),
});
/** A network service descriptor. */
export interface NetworkServiceDescriptor extends z.infer<typeof NetworkServiceDescriptorSchema> {}
/** A network service descriptor (as the samples and the NFVO's REST API use it). */
export const NetworkServiceDescriptor: z.ZodType<NetworkServiceDescriptor> = NetworkServiceDescriptorSchema;
