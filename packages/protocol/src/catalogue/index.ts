export { Status, Event, lowestStatus } from './status.js';
export {
  Ip,
  VNFDConnectionPoint,
  VNFComponent,
  VNFCInstance,
  LifecycleEvent,
  HistoryLifecycleEvent,
  ConfigurationParameter,
  Configuration,
  DependencyParameters,
  VNFCDependencyParameters,
  VNFRecordDependency,
  VirtualDeploymentUnit,
  VirtualNetworkFunctionRecord,
} from './records.js';
export {
  DeploymentFlavour,
  VirtualLinkRecord,
  VirtualNetworkFunctionDescriptor,
  VNFDependency,
  NetworkServiceDescriptor,
} from './descriptors.js';
export { Script, VNFPackage, Key, VimInstance, vimInstanceKind } from './resources.js';
export { AutoScalePolicy, ScalingAction, ScalingAlarm } from './auto-scale.js';
