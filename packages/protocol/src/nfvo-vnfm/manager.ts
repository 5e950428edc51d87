import { z } from 'zod';
import { baseEntityShape } from '../catalogue/base.js';

/** The endpoint a VNFM registers: the NFVO publishes its commands to routing key `endpoint`. */
export const VnfmManagerEndpoint = z.looseObject({
  ...baseEntityShape,
  type: z.string(),
  endpoint: z.string(),
  endpointType: z.enum(['JMS', 'RABBIT', 'REST']).optional(),
  description: z.string().optional(),
  enabled: z.boolean().optional(),
  active: z.boolean().optional(),
});
/** The endpoint a VNFM registers. */
export type VnfmManagerEndpoint = z.infer<typeof VnfmManagerEndpoint>;

/** `register` RPC to `nfvo.manager.handling` (action compared case-insensitively by the NFVO). */
export const RegisterMessage = z.looseObject({
  action: z.literal('register'),
  type: z.string(),
  vnfmManagerEndpoint: VnfmManagerEndpoint,
});
/** `register` RPC. */
export type RegisterMessage = z.infer<typeof RegisterMessage>;

/** One-way `unregister` (`deregister` is a synonym on input). */
export const UnregisterMessage = z.looseObject({
  action: z.literal('unregister'),
  type: z.string(),
  username: z.string(),
  password: z.string(),
  vnfmManagerEndpoint: VnfmManagerEndpoint.optional(),
});
/** One-way `unregister`. */
export type UnregisterMessage = z.infer<typeof UnregisterMessage>;

/** A message on `nfvo.manager.handling`. */
export const ManagerMessage = z.discriminatedUnion('action', [RegisterMessage, UnregisterMessage]);
/** A message on `nfvo.manager.handling`. */
export type ManagerMessage = z.infer<typeof ManagerMessage>;

/** The registration answer: broker credentials for this VNFM type. Holds a password: never log it. */
export const ManagerCredentials = z.looseObject({ ...baseEntityShape, rabbitUsername: z.string(), rabbitPassword: z.string() });
/** The registration answer. */
export type ManagerCredentials = z.infer<typeof ManagerCredentials>;
