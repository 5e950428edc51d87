import { TransportError } from '@vnfkit/protocol';

/**
 * Thrown by a message handler for a failure that says nothing about the message itself (the broker or a shared
 * log out of reach for a moment): the message goes back to its queue and comes again (`redelivered`), where any
 * other error rejects it for good. For commands that must not be lost to a passing outage.
 */
export class RequeueError extends TransportError {}
Object.defineProperty(RequeueError.prototype, 'name', { value: 'RequeueError' });
