import type {
  Configuration,
  OrVnfmInstantiateMessage,
  VirtualDeploymentUnit,
  VirtualNetworkFunctionRecord,
  VNFComponent,
} from '@vnfkit/protocol';

const STRIPPED = new Set(['id', 'hbVersion']);

/** Deep copy without `id`/`hbVersion`: objects the VNFM adds get their ids from the NFVO. */
function withoutIds<T>(value: T): T {
  if (Array.isArray(value)) return value.map(withoutIds) as T;
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([k]) => !STRIPPED.has(k))
        .map(([k, v]) => [k, withoutIds(v)]),
    ) as T;
  }
  return value;
}

/**
 * Builds the VNFR the NFVO expects in GRANT_OPERATION from an INSTANTIATE message (nfvo-vnfm §6.2), as the Java
 * SDK's `VNFRUtils.createVirtualNetworkFunctionRecord` does (openbaton/vnfm-sdk 6.0.0, VNFRUtils.java:57-112):
 * no ids (but on the VNFR-level connection points, which upstream shares with the VNFD), `parent_ns_id` from
 * `extension["nsr-id"]`, status NULL, one VDU per VNFD VDU with `parent_vdu` and the names of the VIMs offered
 * for it, the auto-scale policies and the connection points.
 */
export function buildVnfr(message: OrVnfmInstantiateMessage): VirtualNetworkFunctionRecord {
  const vnfd = message.vnfd;
  const requiresKeys = Object.values(vnfd.requires ?? {}).flatMap((r) => r.parameters ?? []);
  const configurations: Configuration = {
    name: vnfd.configurations?.name ?? vnfd.name,
    configurationParameters: (vnfd.configurations?.configurationParameters ?? []).map((p) => withoutIds(p)),
  };
  const vlrs = message.vlrs ?? [];
  const vdus: VirtualDeploymentUnit[] = (vnfd.vdu ?? []).map((vdu) => {
    const copy = withoutIds({ ...vdu }) as VirtualDeploymentUnit;
    const vims =
      (vdu.id !== undefined ? message.vimInstances?.[vdu.id] : undefined) ??
      (vdu.name !== undefined ? message.vimInstances?.[vdu.name] : undefined) ??
      [];
    copy.parent_vdu = vdu.id;
    copy.vnfc = (vdu.vnfc ?? []).map((c) => withoutIds(c) as VNFComponent);
    copy.vnfc_instance = [];
    copy.vimInstanceName = vims.length > 0 ? vims.map((v) => v.name ?? '').filter((n) => n !== '') : (vdu.vimInstanceName ?? []);
    return copy;
  });
  const record: VirtualNetworkFunctionRecord = {
    name: vnfd.name,
    type: vnfd.type,
    endpoint: vnfd.endpoint ?? vnfd.type,
    vendor: vnfd.vendor,
    version: vnfd.version,
    descriptor_reference: vnfd.id,
    packageId: vnfd.vnfPackageLocation,
    cyclicDependency: vnfd.cyclicDependency ?? false,
    parent_ns_id: message.extension?.['nsr-id'],
    status: 'NULL',
    lifecycle_event_history: [],
    vnf_address: [],
    configurations,
    requires: { name: 'requires', configurationParameters: requiresKeys.map((confKey) => ({ confKey })) },
    provides: { name: 'provides', configurationParameters: (vnfd.provides ?? []).map((confKey) => ({ confKey })) },
    lifecycle_event: withoutIds(vnfd.lifecycle_event ?? []),
    monitoring_parameter: (vnfd['monitoring_parameter'] as string[] | undefined) ?? [],
    // As VNFRUtils.createVirtualNetworkFunctionRecord (openbaton/vnfm-sdk 6.0.0, VNFRUtils.java:207-212, 370-407):
    // the autoscaling engine reads both from the VNFR; an action without target scales this VNF's own type.
    auto_scale_policy: (vnfd.auto_scale_policy ?? []).map((policy) => ({
      ...withoutIds(policy),
      actions: (policy.actions ?? []).map((action) => ({ ...withoutIds(action), target: action.target ? action.target : vnfd.type })),
    })),
    connection_point: structuredClone(vnfd.connection_point ?? []),
    deployment_flavour_key: message.vnfdf?.flavour_key,
    virtual_link: ((vnfd.virtual_link ?? []) as { name?: string }[]).map((vl) => ({
      ...withoutIds(vl),
      ...(vlrs.find((r) => r.name === vl.name)?.extId !== undefined ? { extId: vlrs.find((r) => r.name === vl.name)?.extId } : {}),
    })),
    vdu: vdus,
  };
  // Gson omits nulls: drop undefined fields so the JSON has none.
  return JSON.parse(JSON.stringify(record)) as VirtualNetworkFunctionRecord;
}
