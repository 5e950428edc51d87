import { describe, expect, it } from 'vitest';
import { healEnv, removingEnv, vnfcEnv } from '../../src/env/index.js';

const vnfc = {
  hostname: 'iperf-server-4821733',
  ips: [
    { netName: 'private', ip: '192.168.1.7' },
    { netName: 'net-two', ip: '10.0.0.7' },
  ],
  floatingIps: [{ netName: 'private', ip: '172.24.4.20' }],
};

describe('vnfcEnv', () => {
  it('exports each network IP, floating IP and the hostname, names sanitised', () => {
    expect(vnfcEnv(vnfc)).toEqual({
      private: '192.168.1.7',
      net_two: '10.0.0.7',
      private_floatingIp: '172.24.4.20',
      hostname: 'iperf-server-4821733',
    });
  });

  it('copes with missing ips, floating IPs and hostname', () => {
    expect(vnfcEnv({})).toEqual({});
    expect(vnfcEnv({ ips: null, floatingIps: null, hostname: 'h-1' })).toEqual({ hostname: 'h-1' });
  });
});

describe('removingEnv', () => {
  it('exports removing_* names WITHOUT sanitising them, as upstream does', () => {
    expect(removingEnv(vnfc)).toEqual({
      removing_private: '192.168.1.7',
      'removing_net-two': '10.0.0.7',
      removing_private_floatingIp: '172.24.4.20',
      removing_hostname: 'iperf-server-4821733',
    });
  });
});

describe('healEnv', () => {
  it('exports the cause', () => {
    expect(healEnv('serviceDown')).toEqual({ cause: 'serviceDown' });
  });
});
