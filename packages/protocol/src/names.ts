/** Exchange, queue and routing-key names of the Open Baton 6.0 wire protocol, in one place. */

/** The topic exchange every Open Baton component publishes to. */
export const EXCHANGE = 'openbaton-exchange';
/** VNFM registration (RPC) and unregistration (one-way). */
export const NFVO_MANAGER_HANDLING = 'nfvo.manager.handling';
/** One-way VNFM → NFVO notifications. */
export const VNFM_NFVO_ACTIONS = 'vnfm.nfvo.actions';
/** VNFM → NFVO requests that need an answer (GRANT_OPERATION, ALLOCATE_RESOURCES, SCALING, UPDATEVNFR). */
export const VNFM_NFVO_ACTIONS_REPLY = 'vnfm.nfvo.actions.reply';
/** RabbitMQ's direct reply-to pseudo queue. */
export const DIRECT_REPLY_TO = 'amq.rabbitmq.reply-to';
/** Script directory Open Baton VNFMs send in `script-path`. */
export const DEFAULT_SCRIPTS_PATH = '/opt/openbaton/scripts';
/** Content type of every body: Spring's converter only yields strings for `text/*`. */
export const CONTENT_TYPE = 'text/plain';
/**
 * AMQP header carrying the signature of a signed EMS command (`signCommand`: time, correlation id, target queue,
 * reply_to and body, keyed per VM). vnfkit extension.
 */
export const SIGNATURE_HEADER = 'x-vnfkit-signature';
/** AMQP header carrying the signature of an agent's reply (`signReply`: hostname, correlation id and body). vnfkit extension. */
export const REPLY_SIGNATURE_HEADER = 'x-vnfkit-reply-signature';
/** The agent hello's `verifies` when it refuses commands not signed (v3) with its key, and signs its replies. */
export const VERIFIES_SIGNATURE_V3 = 'signature-v3';
/**
 * Deduplication by correlation id (vnfkit extension): a command sent again with the same correlation id
 * and body is answered from the agent's execution record instead of being run again. An agent says it
 * does so in its hello (`deduplicates`); a VNFM marks the commands it may send again with
 * {@link DEDUP_HEADER}, which promises that their correlation ids are unique. Nothing else does: Open Baton's
 * Java Generic VNFM sends no correlation id at all (Spring AMQP 1.7 `convertSendAndReceive`), and other senders
 * make no promise, so an unmarked id alone must not suppress a command.
 */
export const DEDUPLICATES_BY_CORRELATION_ID = 'correlation-id';
/**
 * Command bundles (vnfkit extension), said in the agent's hello (`bundles`): `SAVE_SCRIPTS` may carry more files
 * in `files`, and `EXECUTE` may carry a `dependency` (a `SAVE_VNFR_DEPENDENCY` payload) that the agent saves just
 * before it runs the script. A VNFM sends them only to agents whose hello says so; Open Baton's EMS gets one
 * command per file and per dependency, as from its own VNFM.
 */
export const BUNDLES_V1 = 'v1';
/**
 * {@link BUNDLES_V1} and package files carried by an `EXECUTE` (`files`), saved (as a bundled `SAVE_SCRIPTS` would
 * save them) before its dependency and its script: a VNFM ships a VM's package with that VM's first script instead
 * of a command of its own. An agent that says `'v2'` takes everything `'v1'` names.
 */
export const BUNDLES_V2 = 'v2';
/** AMQP header of an EMS command that may be sent again: value {@link DEDUPLICATES_BY_CORRELATION_ID}. vnfkit extension. */
export const DEDUP_HEADER = 'x-vnfkit-dedup';
/** Bootstrap broker user the NFVO creates for VNFM registration. */
export const BOOTSTRAP_USERNAME = 'openbaton-manager-user';
/** Password of the bootstrap user. */
export const BOOTSTRAP_PASSWORD = 'openbaton';

/** Queue of the EMS agent on VM `hostname`: `vnfm.<hostname>.actions`. */
export function emsActionsQueue(hostname: string): string {
  return `vnfm.${hostname}.actions`;
}

/** Queue the EMS hellos of VNFM type `type` arrive on: `ems.<type>.register`. */
export function emsRegisterQueue(type: string): string {
  return `ems.${type}.register`;
}
