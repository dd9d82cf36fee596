/**
 * How every zod failure in stockflow is told, in zod's own terms: the issue's path in zod's dot notation
 * (`z.core.toDotPath`: `results[3].stock`) and its message. Pure, so workflows (input errors), the config loader,
 * the clients and the sandbox all use it.
 */
import { z } from 'zod';

/** Each issue as `{path, message}`; `root` names an issue about the whole value. */
export function issueEntries(error: z.ZodError, root = ''): { path: string; message: string }[] {
  return error.issues.map((i) => ({ path: z.core.toDotPath(i.path) || root, message: i.message }));
}

/** Each issue as one `path: message` line. */
export function issueLines(error: z.ZodError, root = 'body'): string[] {
  return issueEntries(error, root).map((i) => `${i.path}: ${i.message}`);
}

/** DRF's 400 body, `{"field": ["message"]}`: zod's own flattening, whole-value issues as `non_field_errors`. */
export function drfFieldErrors(error: z.ZodError): Record<string, string[]> {
  const { formErrors, fieldErrors } = z.flattenError(error);
  const errors: Record<string, string[]> = {};
  for (const [field, messages] of Object.entries(fieldErrors as Record<string, string[] | undefined>)) {
    if (messages?.length) errors[field] = messages;
  }
  if (formErrors.length > 0) errors.non_field_errors = formErrors;
  return errors;
}
