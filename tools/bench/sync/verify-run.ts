// The benchmark's last word: `atomsync verify --source CLINIC --target HQ`, run
// as a real process. A sync that diverged makes every figure meaningless.
import type { Children } from './children.ts';

export interface VerifyResult {
  exitCode: number | string;
  converged: boolean;
  /** Its last line: "OK: n source rows checked in s" or "DIVERGED: ...". */
  summary: string;
  /** Its whole report, kept only when it did not converge. */
  report: string | null;
  wallMs: number;
}

/** `sourceUrls`: one clinic, or every clinic that syncs into the target (which must then hold exactly their rows together). */
export async function runVerify(children: Children, sourceUrls: string | string[], targetUrl: string, timeoutMs: number): Promise<VerifyResult> {
  const started = Date.now();
  const sources = [sourceUrls].flat().flatMap((u) => ['--source', u]);
  const c = children.atomsync('verify', ['verify', ...sources, '--target', targetUrl], true);
  const timer = setTimeout(() => c.proc.kill('SIGKILL'), timeoutMs);
  const exitCode = await c.exited;
  clearTimeout(timer);
  const out = c.captured().trimEnd();
  const lines = out.split('\n').filter((l) => !l.startsWith('  checked '));
  const converged = exitCode === 0;
  return {
    exitCode,
    converged,
    summary: lines[lines.length - 1] ?? '',
    report: converged ? null : lines.join('\n'),
    wallMs: Date.now() - started,
  };
}
