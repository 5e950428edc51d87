import { z } from 'zod';
import { baseEntityShape } from './base.js';

const ScriptSchema = z.looseObject({
  ...baseEntityShape,
  name: z.string(),
  payload: z.array(z.number().int().min(-128).max(255)).optional(),
});
/** A lifecycle script of a VNF package. */
export interface Script extends z.infer<typeof ScriptSchema> {}
/** A lifecycle script of a VNF package; `payload` is Gson's `byte[]`: signed bytes −128…127. */
export const Script: z.ZodType<Script> = ScriptSchema;

const VNFPackageSchema = z.looseObject({
  ...baseEntityShape,
  name: z.string().optional(),
  scriptsLink: z.string().optional(),
  imageLink: z.string().optional(),
  vimTypes: z.array(z.string()).optional(),
  scripts: z.array(Script).optional(),
});
/** A VNF package. */
export interface VNFPackage extends z.infer<typeof VNFPackageSchema> {}
/** A VNF package: scripts inline, or a git `scriptsLink`. */
export const VNFPackage: z.ZodType<VNFPackage> = VNFPackageSchema;

const KeySchema = z.looseObject({
  ...baseEntityShape,
  name: z.string().optional(),
  publicKey: z.string().optional(),
  fingerprint: z.string().optional(),
});
/** An SSH key. */
export interface Key extends z.infer<typeof KeySchema> {}
/** An SSH key the NFVO passes to the VIM. */
export const Key: z.ZodType<Key> = KeySchema;

const VimInstanceSchema = z.looseObject({
  ...baseEntityShape,
  name: z.string().optional(),
  type: z.string(),
  authUrl: z.string().optional(),
  active: z.boolean().optional(),
  tenant: z.string().optional(),
  username: z.string().optional(),
  password: z.string().optional(),
  keyPair: z.string().optional(),
});
/** A VIM instance. */
export interface VimInstance extends z.infer<typeof VimInstanceSchema> {}
/**
 * A VIM instance. The NFVO picks the Java class from `type` (`openstack…` → OpenstackVimInstance,
 * `docker…`, `amazon…`, anything else → GenericVimInstance) and fails without it, so `type` is required.
 * Holds VIM credentials in clear text: never log it.
 */
export const VimInstance: z.ZodType<VimInstance> = VimInstanceSchema;

const VIM_CLASSES = new Set(['OpenstackVimInstance', 'DockerVimInstance', 'AmazonVimInstance', 'GenericVimInstance']);

/**
 * The Java class the NFVO deserialises a VIM instance of this `type` into, as `NfvoGsonDeserializerVimInstance`
 * does (openbaton/NFVO 6.0.0, NfvoGsonDeserializerVimInstance.java:48-71): the part before the first dot when
 * the type has more than one (Java `split` drops trailing empty parts), first letter upper-cased, the rest as
 * written, + `VimInstance`; no such class (`OpenStack`, `test`, …) means `GenericVimInstance`.
 */
export function vimInstanceKind(type: string): 'OpenstackVimInstance' | 'DockerVimInstance' | 'AmazonVimInstance' | 'GenericVimInstance' {
  const parts = type.split('.');
  while (parts.length > 0 && parts[parts.length - 1] === '') parts.pop();
  const prefix = parts.length > 1 ? (parts[0] ?? '') : type;
  const className = `${prefix.slice(0, 1).toUpperCase()}${prefix.slice(1)}VimInstance`;
  return VIM_CLASSES.has(className) ? (className as ReturnType<typeof vimInstanceKind>) : 'GenericVimInstance';
}
