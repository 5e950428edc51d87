import { z } from 'zod';

/** `BaseEntity` fields every Open Baton record carries; all optional on the wire. */
export const baseEntityShape = {
  id: z.string().optional(),
  hbVersion: z.number().int().optional(),
  projectId: z.string().optional(),
  shared: z.boolean().optional(),
  metadata: z.record(z.string(), z.string()).optional(),
};

/** `Map<String,String>` as Gson writes it. */
export const StringMap = z.record(z.string(), z.string());
