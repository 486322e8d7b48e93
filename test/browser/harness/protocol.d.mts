// Types of protocol.mjs for the TypeScript side of the harness.
export declare const STARTED_MARK: string;
