import { z } from 'zod';
import { baseEntityShape } from './base.js';

const ScalingAlarmSchema = z.looseObject({
  ...baseEntityShape,
  metric: z.string().optional(),
  statistic: z.string().optional(),
  comparisonOperator: z.string().optional(),
  threshold: z.number().optional(),
  weight: z.number().optional(),
});
/** An alarm of an auto-scale policy. */
export interface ScalingAlarm extends z.infer<typeof ScalingAlarmSchema> {}
/** An alarm of an auto-scale policy (`ScalingAlarm`). */
export const ScalingAlarm: z.ZodType<ScalingAlarm> = ScalingAlarmSchema;

const ScalingActionSchema = z.looseObject({
  ...baseEntityShape,
  type: z.string().optional(),
  value: z.string().optional(),
  target: z.string().optional(),
});
/** What an auto-scale policy does. */
export interface ScalingAction extends z.infer<typeof ScalingActionSchema> {}
/** What an auto-scale policy does (`ScalingAction`); `target` names a VNF type, the VNF's own when empty. */
export const ScalingAction: z.ZodType<ScalingAction> = ScalingActionSchema;

const AutoScalePolicySchema = z.looseObject({
  ...baseEntityShape,
  name: z.string().optional(),
  type: z.string().optional(),
  mode: z.string().optional(),
  cooldown: z.number().optional(),
  period: z.number().optional(),
  comparisonOperator: z.string().optional(),
  threshold: z.number().optional(),
  alarms: z.array(ScalingAlarm).optional(),
  actions: z.array(ScalingAction).optional(),
});
/** An auto-scale policy. */
export interface AutoScalePolicy extends z.infer<typeof AutoScalePolicySchema> {}
/** An auto-scale policy of a VNFD / VNFR (`AutoScalePolicy`), read by Open Baton's autoscaling engine. */
export const AutoScalePolicy: z.ZodType<AutoScalePolicy> = AutoScalePolicySchema;
