import type { Ip } from '@vnfkit/protocol';

/** What a VIM needs to create one VM for a VNF component. */
export interface VmRequest {
  /** VNFR name: the hostname is `<vnfrName>-<n>`. */
  vnfrName: string;
  /** Network names of the component's connection points. */
  networks: string[];
  /** Broker URL the VM's EMS agent must reach. */
  brokerUrl: string;
  /** `ems.<type>.register`: the VNFM endpoint the agent says hello to. */
  emsType: string;
  /** The user-data the VNFM sent for the VM (ALLOCATE_RESOURCES `userdata`, SCALING `userData`), when any. */
  userData?: string;
}

/** A created VM. */
export interface Vm {
  hostname: string;
  vimId: string;
  vcId: string;
  ips: Ip[];
  floatingIps: Ip[];
}

/** The VIM the NFVO simulator allocates VMs through. */
export interface VimDriver {
  /** VIM instance name reported to the VNFM. */
  readonly name: string;
  /** Creates one VM (and starts its EMS agent). */
  allocate(request: VmRequest): Promise<Vm>;
  /** Deletes a VM; unknown hostnames are ignored. */
  release(hostname: string): Promise<void>;
  /** Restarts a VM's agent (fault tests). */
  restart(hostname: string): Promise<void>;
  /** Deletes every VM. */
  close(): Promise<void>;
}
