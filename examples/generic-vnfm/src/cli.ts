#!/usr/bin/env node
console.log('generic-vnfm 0.1.0');
