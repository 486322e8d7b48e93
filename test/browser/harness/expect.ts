// The specs' `expect`: chai with vitest's Jest-style matchers (@vitest/expect), assembled as vitest itself does.
import type { ExpectStatic } from 'vitest';
import {
  ASYMMETRIC_MATCHERS_OBJECT, ChaiStyleAssertions, GLOBAL_EXPECT, JestAsymmetricMatchers, JestChaiExpect, JestExtend,
  addCustomEqualityTesters, chai, customMatchers, getState, setState,
} from '@vitest/expect';

chai.use(JestExtend);
chai.use(JestChaiExpect);
chai.use(ChaiStyleAssertions);
chai.use(JestAsymmetricMatchers);

function createExpect(): ExpectStatic {
  // Typed loosely while it is assembled; what comes out is vitest's ExpectStatic.
  const expect: any = (value: unknown, message?: string) => {
    const { assertionCalls } = getState(expect);
    setState({ assertionCalls: assertionCalls + 1 }, expect);
    return chai.expect(value, message);
  };
  Object.assign(expect, chai.expect);
  Object.assign(expect, (globalThis as any)[ASYMMETRIC_MATCHERS_OBJECT]);
  expect.getState = () => getState(expect);
  expect.setState = (state: object) => setState(state, expect);
  setState({
    assertionCalls: 0, isExpectingAssertions: false, isExpectingAssertionsError: null,
    expectedAssertionsNumber: null, expectedAssertionsNumberErrorGen: null, testPath: '', currentTestName: '',
  }, expect);
  expect.assert = chai.assert;
  expect.extend = (matchers: object) => (chai.expect as any).extend(expect, matchers);
  expect.addEqualityTesters = (testers: any[]) => addCustomEqualityTesters(testers);
  expect.soft = (value: unknown, message?: string) => (expect(value, message) as any).withContext({ soft: true });
  expect.unreachable = (message?: string) => {
    chai.assert.fail(`expected${message ? ` "${message}" ` : ' '}not to be reached`);
  };
  expect.extend(customMatchers);
  return expect;
}

export const expect = createExpect();
(globalThis as any)[GLOBAL_EXPECT] = expect;

/** Marks the start of a test: what expect.getState() reports, and a fresh assertion count. */
export function startTest(testPath: string, currentTestName: string): void {
  setState({ assertionCalls: 0, testPath, currentTestName }, expect);
}
