// Placeholder until the Generic VNFM issue lands: says what the demo will do.
console.log('vnfkit quickstart: the end-to-end demo (NFVO simulator -> Generic VNFM -> EMS agents) is coming.');
