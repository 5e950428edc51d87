/** @vnfkit/vnfm-sdk — an abstract VNF manager for Open Baton 6.0 over RabbitMQ. */
export * from './transport/index.js';
