#!/usr/bin/env node
console.log('vnfkit-ems 0.1.0');
