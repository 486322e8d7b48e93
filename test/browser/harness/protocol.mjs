// What the pages tell run.mjs on the console: a line starting with STARTED_MARK names the test that starts, so a page
// that hangs (and can no longer be asked) still says where.
export const STARTED_MARK = '[isotensor-browser-suite] started: ';
