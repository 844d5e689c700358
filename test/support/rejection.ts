import { expect } from 'chai';
import { BridgeError } from '../../src/domain/errors.js';

/** Awaits a promise that must reject with a BridgeError, and returns that error. */
export async function rejectionOf(promise: Promise<unknown>): Promise<BridgeError> {
  try {
    await promise;
  } catch (error) {
    expect(error).to.be.instanceOf(BridgeError);
    return error as BridgeError;
  }
  expect.fail('expected a BridgeError, but the promise resolved');
}
