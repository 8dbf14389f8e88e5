/**
 * The names of the built-in mutation operators: vocabulary the config validates `evolution.operators`
 * against, so the workspace layer knows them without importing the operators themselves.
 */
export type OperatorName =
  | "arithmetic"
  | "comparison"
  | "logical"
  | "boundary"
  | "literal"
  | "identifier"
  | "negate-condition"
  | "statement-delete"
  | "statement-duplicate"
  | "statement-swap"
  | "statement-copy"
  | "return-value"
  | "compound-assignment"
  | "off-by-one"
  | "access"
  | "call-arguments"
  | "sibling-method"
  | "insert-jump"
  | "insert-guard"
  | "statement-insert"
  | "loop-direction"
  | "return-variable"
  | "param-adjust";

/** Every operator, in the order enumerateEdits runs them; when two produce the same edit, the earlier keeps it. */
export const OPERATOR_NAMES: readonly OperatorName[] = [
  "arithmetic",
  "boundary",
  "comparison",
  "logical",
  "literal",
  "identifier",
  "negate-condition",
  "statement-delete",
  "statement-duplicate",
  "statement-swap",
  "statement-copy",
  "return-value",
  "compound-assignment",
  "off-by-one",
  "access",
  "call-arguments",
  "sibling-method",
  "insert-jump",
  "insert-guard",
  "statement-insert",
  "loop-direction",
  "return-variable",
  "param-adjust",
];

