import { readFileSync } from 'node:fs';

/**
 * A secret from the environment: `NAME`, or the file named by `NAME_FILE` (Docker/Kubernetes secrets), trimmed.
 * Errors name the variable, never the value.
 */
export function secretFromEnv(name: string, env: NodeJS.ProcessEnv): { value: string } | { error: string } {
  const file = env[`${name}_FILE`];
  if (file) {
    try {
      const value = readFileSync(file, 'utf8').trim();
      return value ? { value } : { error: `${name}_FILE: ${file} is empty` };
    } catch (err) {
      return { error: `${name}_FILE: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})` };
    }
  }
  const value = env[name];
  return value ? { value } : { error: `${name} is not set (nor ${name}_FILE)` };
}
