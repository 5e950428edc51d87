/**
 * The few fields of Open Baton records that the pure modules (env, plan) read.
 *
 * They are structural views, not copies of the catalogue schemas: the full, parsed records of
 * `@vnfkit/protocol` are assignable to them, and the unit tests can build small literals without
 * filling every field. Everything is optional and nullable because the NFVO sends either.
 */

/** An IP of a VNFC on one network (`Ip`). */
export interface IpView {
  netName?: string | null;
  ip?: string | null;
}

/** One VNFC instance (`VNFCInstance`): one VM with its agent. */
export interface VnfcView {
  id?: string | null;
  hostname?: string | null;
  state?: string | null;
  ips?: readonly IpView[] | null;
  floatingIps?: readonly IpView[] | null;
}

/** A `Configuration` block (`provides`, `configurations`). */
export interface ConfigurationView {
  configurationParameters?: ReadonlyArray<{ confKey?: string | null; value?: unknown }> | null;
}

/** A `LifecycleEvent`: the ordered script list of one event. */
export interface LifecycleEventView {
  event?: string | null;
  lifecycle_events?: readonly string[] | null;
}

/** A VNFR as far as script planning is concerned. */
export interface VnfrView {
  id?: string | null;
  name?: string | null;
  provides?: ConfigurationView | null;
  configurations?: ConfigurationView | null;
  lifecycle_event?: readonly LifecycleEventView[] | null;
  vdu?: ReadonlyArray<{ vnfc_instance?: readonly VnfcView[] | null }> | null;
}

/** `DependencyParameters`: key → value. */
export interface DependencyParametersView {
  parameters?: Record<string, unknown> | null;
}

/** `VNFRecordDependency`: what the NFVO passes with MODIFY (and SCALE_OUT / RESUME). */
export interface DependencyView {
  parameters?: Record<string, DependencyParametersView | null | undefined> | null;
  vnfcParameters?: Record<
    string,
    { parameters?: Record<string, DependencyParametersView | null | undefined> | null } | null | undefined
  > | null;
}

/** Every VNFC instance of a VNFR, in VDU order. */
export function vnfcInstancesOf(vnfr: VnfrView): VnfcView[] {
  return (vnfr.vdu ?? []).flatMap((vdu) => [...(vdu.vnfc_instance ?? [])]);
}

/** The script list of `event`, or undefined when the VNFR has no lifecycle entry for it. */
export function scriptsOf(vnfr: VnfrView, event: string): readonly string[] | undefined {
  const entry = (vnfr.lifecycle_event ?? []).find((le) => le.event === event);
  return entry ? (entry.lifecycle_events ?? []) : undefined;
}
