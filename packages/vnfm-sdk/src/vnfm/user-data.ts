import { payloadToBytes, type VNFPackage } from '@vnfkit/protocol';

/**
 * The VNF package's own `userdata.sh` or `user-data.sh` (exact names; a leading BOM stripped) runs after the
 * VNFM's part of the ALLOCATE_RESOURCES user data, as in the Java SDK (AbstractVnfm.java 6.0.0:543-553, 770-783).
 * Upstream joins the two with nothing between; a newline is added here when the first part lacks one, so the
 * package's first line cannot be glued to the last line of the VNFM's.
 */
export function withPackageUserData(userData: string, vnfPackage: VNFPackage | undefined): string {
  const script = vnfPackage?.scripts?.find((s) => s.name === 'userdata.sh' || s.name === 'user-data.sh');
  if (!script?.payload) return userData;
  const own = Buffer.from(payloadToBytes(script.payload))
    .toString('utf8')
    .replace(/^\uFEFF/, '');
  if (own === '') return userData;
  return userData === '' || userData.endsWith('\n') ? `${userData}${own}` : `${userData}\n${own}`;
}
