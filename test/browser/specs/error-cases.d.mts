// Types of error-cases.mjs for errors.test.ts.
export interface ErrorCase { name: string; mentions: string[]; run: (mx: any) => unknown }
export interface Outcome { threw: boolean; isotensorError: boolean; message: string }
export declare const errorCases: ErrorCase[];
export declare function outcome(mx: unknown, c: ErrorCase): Promise<Outcome>;
