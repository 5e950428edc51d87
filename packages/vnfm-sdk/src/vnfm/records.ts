/** Finding a VNFR or a VNFC where the NFVO's messages carry them: in a record, or in a body that did not decode. */
import { allVnfcs, type VNFCInstance, type VirtualNetworkFunctionRecord } from '@vnfkit/protocol';

type Vnfr = VirtualNetworkFunctionRecord;

/** The VNFC of `vnfr` that is `like` (same id, or same hostname). */
export function findVnfc(vnfr: Vnfr, like: VNFCInstance): VNFCInstance | undefined {
  return allVnfcs(vnfr).find(
    (c) => (like.id !== undefined && c.id === like.id) || (like.hostname !== undefined && c.hostname === like.hostname),
  );
}

/** The VNFR of a command that did not decode, if its body is JSON with one, so that the ERROR reply carries it. */
export function salvageRecord(body: Buffer): Vnfr | undefined {
  try {
    const raw = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
    const record = raw['virtualNetworkFunctionRecord'] ?? raw['vnfr'];
    return record !== null && typeof record === 'object' && !Array.isArray(record) ? (record as Vnfr) : undefined;
  } catch {
    return undefined;
  }
}
