import { z } from 'zod';

/** `org.openbaton.catalogue.nfvo.Action`, serialised by name. */
export const Action = z.enum([
  'GRANT_OPERATION',
  'ALLOCATE_RESOURCES',
  'SCALE_IN',
  'SCALE_OUT',
  'SCALING',
  'SCALED',
  'ERROR',
  'RELEASE_RESOURCES',
  'INSTANTIATE',
  'MODIFY',
  'HEAL',
  'UPDATEVNFR',
  'UPDATE',
  'RELEASE_RESOURCES_FINISH',
  'INSTANTIATE_FINISH',
  'CONFIGURE',
  'START',
  'STOP',
  'LOG_REQUEST',
  'RESUME',
  'EXECUTE',
]);
/** An Open Baton action name. */
export type Action = z.infer<typeof Action>;
