import { TransportError } from '@vnfkit/protocol';

/**
 * A `mandatory` publish (`PublishProperties.mandatory`) that the broker returned: no queue was bound to
 * take it (its consumer's auto-delete queue gone for a moment, say). Nobody got the message; sending it again
 * later is safe.
 */
export class UnroutableError extends TransportError {}
Object.defineProperty(UnroutableError.prototype, 'name', { value: 'UnroutableError' });
