// A column that cannot run here (missing build, missing package): reported with its reason, not as a failure.

export class SkipError extends Error {
  constructor(reason) {
    super(reason);
    this.name = 'SkipError';
  }
}
