/**
 * The workflow-sandbox lint rule must actually bite: lint small workflow sources through the project's real ESLint
 * config (spawned, as the CLI runs in CI) and check which rules fire where.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
const root = join(__dirname, '..', '..');
const eslintBin = join(root, 'node_modules', 'eslint', 'bin', 'eslint.js');

interface LintMessage {
  ruleId: string | null;
  line: number;
  message: string;
}

async function lintWorkflowSource(source: string): Promise<LintMessage[]> {
  const child = spawn(
    process.execPath,
    [eslintBin, '--stdin', '--stdin-filename', 'workflows/__lint-fixture__.ts', '--format', 'json'],
    { cwd: root, stdio: ['pipe', 'pipe', 'inherit'] },
  );
  child.stdin.end(source);
  let stdout = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  await once(child, 'close');
  const [result] = JSON.parse(stdout) as { messages: LintMessage[] }[];
  return result?.messages ?? [];
}

describe('workflow lint rules', () => {
  test('axios, fs and value imports of activities are rejected; type imports are fine', async () => {
    const messages = await lintWorkflowSource(
      [
        "import axios from 'axios';",
        "import { readFileSync } from 'fs';",
        "import { createSelfCheckActivities } from '../activities';",
        "import type { SelfCheckActivities } from '../activities';",
        'export const used = [axios, readFileSync, createSelfCheckActivities] as unknown as SelfCheckActivities;',
      ].join('\n'),
    );
    const restricted = messages.filter((m) => m.ruleId === '@typescript-eslint/no-restricted-imports');
    expect(restricted.map((m) => m.line)).toEqual([1, 2, 3]);
    expect(restricted[0]?.message).toContain('axios');
    expect(restricted[1]?.message).toContain("'fs'");
    expect(messages.filter((m) => m.ruleId === null)).toEqual([]); // no parse/config error hiding behind the result
  });

  test('node: built-ins are rejected and a floating promise is reported', async () => {
    const messages = await lintWorkflowSource(
      [
        "import { promises } from 'node:fs';",
        'export async function wf(): Promise<unknown> {',
        '  Promise.resolve(1);',
        '  return promises;',
        '}',
      ].join('\n'),
    );
    expect(messages.map((m) => [m.ruleId, m.line])).toEqual([
      ['@typescript-eslint/no-restricted-imports', 1],
      ['@typescript-eslint/no-floating-promises', 3],
    ]);
  });

  test('a clean workflow source passes', async () => {
    const messages = await lintWorkflowSource(
      [
        "import { sleep } from '@temporalio/workflow';",
        "import type { SelfCheckActivities } from '../activities';",
        'export async function wf(_a?: SelfCheckActivities): Promise<void> {',
        "  await sleep('1s');",
        '}',
      ].join('\n'),
    );
    expect(messages).toEqual([]);
  });
});
