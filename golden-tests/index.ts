/** The golden-tests module: load a suite from a FileMap, check outcomes, score. Pure except custom assertion imports. */
export { loadSuite } from "./load.js";
export { checkCase, deepEqual } from "./assertions.js";
export type { AssertionResult, CaseOutcome, CaseResult } from "./assertions.js";
export { createAssertionRunner, createCustomAssertionRunner, prepareCustomAssertions } from "./custom-assertions.js";
export type { AssertionVerdict, CustomAssertionContext, CustomAssertionFn, CustomAssertionRunner, RunnerOptions } from "./custom-assertions.js";
export { scoreSuite } from "./score.js";
export type { SuiteScore } from "./score.js";
export { suiteHash } from "./hash.js";
export { ASSERTION_TYPES } from "./schema.js";
export type { AgentCase, AgentRequest, Assertion, AssertionType, GoldenCase, GoldenSuite, Split } from "./schema.js";
export { WorkspaceInputError } from "../kernel/input-error.js";
