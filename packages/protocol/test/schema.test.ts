import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { EmsCommand, EmsReply, NfvoCommand, VnfmMessage, VirtualNetworkFunctionRecord } from '../src/index.js';

describe('JSON Schema generation (the build writes these to dist/schema/)', () => {
  it.each([
    ['NfvoCommand', NfvoCommand],
    ['VnfmMessage', VnfmMessage],
    ['EmsCommand', EmsCommand],
    ['EmsReply', EmsReply],
    ['VNFR', VirtualNetworkFunctionRecord],
  ] as const)('%s converts, keeping unknown fields allowed and the action discriminator', (_name, schema) => {
    const json = JSON.stringify(z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any', cycles: 'ref' }));
    expect(json).toContain('"type":"object"');
    if (schema !== VirtualNetworkFunctionRecord && schema !== EmsReply) expect(json).toContain('"action"');
    expect(json).toContain('"additionalProperties":{}');
  });
});
