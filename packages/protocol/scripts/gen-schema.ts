// Build step: writes one JSON Schema per message family and catalogue record to dist/schema/,
// so peers written in other languages can validate vnfkit traffic too.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import * as protocol from '../src/index.js';

const out = join(import.meta.dirname, '..', 'dist', 'schema');
mkdirSync(out, { recursive: true });

const schemas: Record<string, z.ZodType> = {
  'nfvo-command': protocol.NfvoCommand,
  'vnfm-message': protocol.VnfmMessage,
  'manager-message': protocol.ManagerMessage,
  'manager-credentials': protocol.ManagerCredentials,
  'ems-command': protocol.EmsCommand,
  'ems-hello': protocol.EmsHello,
  'ems-reply': protocol.EmsReply,
  vnfr: protocol.VirtualNetworkFunctionRecord,
  vnfd: protocol.VirtualNetworkFunctionDescriptor,
  nsd: protocol.NetworkServiceDescriptor,
  'vnf-record-dependency': protocol.VNFRecordDependency,
  'vnf-package': protocol.VNFPackage,
  'vim-instance': protocol.VimInstance,
};

for (const [name, schema] of Object.entries(schemas)) {
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any', cycles: 'ref' });
  writeFileSync(join(out, `${name}.json`), `${JSON.stringify({ $id: `@vnfkit/protocol/schema/${name}.json`, ...json }, null, 2)}\n`);
}
console.log(`wrote ${Object.keys(schemas).length} JSON Schemas to dist/schema/`);
