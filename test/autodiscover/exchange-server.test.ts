import { expect } from 'chai';
import { CAS_VERSION, EXCHANGE_BUILD, POX_SERVER_VERSION } from '../../src/autodiscover/exchange-server.js';
import { SERVER_VERSION_INFO } from '../../src/ews/namespaces.js';

describe('the Exchange server Autodiscover describes', () => {
  it('is the build the EWS answers name in ServerVersionInfo', () => {
    const attribute = (name: string) => Number(new RegExp(` ${name}="(\\d+)"`).exec(SERVER_VERSION_INFO)?.[1]);
    expect([attribute('MajorVersion'), attribute('MinorVersion'), attribute('MajorBuildNumber'), attribute('MinorBuildNumber')]).to.deep.equal([
      EXCHANGE_BUILD.major,
      EXCHANGE_BUILD.minor,
      EXCHANGE_BUILD.majorBuild,
      EXCHANGE_BUILD.minorBuild,
    ]);
  });

  it('writes CasVersion as Exchange does and packs the POX ServerVersion as MS-OXDSCLI says', () => {
    expect(CAS_VERSION).to.equal('15.01.2507.006');
    // The decoding exchangelib applies (Build.from_hex_string): 4 bits, 6 major, 6 minor, a flag, 15 build.
    const bits = parseInt(POX_SERVER_VERSION, 16).toString(2).padStart(32, '0');
    expect([parseInt(bits.slice(4, 10), 2), parseInt(bits.slice(10, 16), 2), parseInt(bits.slice(17), 2)]).to.deep.equal([15, 1, 2507]);
    expect(POX_SERVER_VERSION).to.match(/^7[0-9A-F]{7}$/);
  });
});
