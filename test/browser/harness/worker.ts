// Module Worker side of the browser suite: runs the spec it is sent and posts back the report.
import { runSpec, type SpecEntry } from './run-spec';

// Messages to the page: { started: testName } as each test begins, then { report }.
self.onmessage = async (ev: MessageEvent<SpecEntry>) => {
  const report = await runSpec(ev.data, (name) => self.postMessage({ started: name }));
  self.postMessage({ report });
};
