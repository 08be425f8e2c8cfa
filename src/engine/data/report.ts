// Problems found while reading input files, collected (never only the first) and reported with
// the file, the line and what is wrong.

export interface InputIssue {
  severity: 'error' | 'warning';
  file: string;
  /** 1-based line number, or null for a problem with the whole file */
  line: number | null;
  message: string;
}

export class InputReport {
  readonly issues: InputIssue[] = [];
  /** Per-file cap so a wholly wrong file does not produce millions of rows; the rest is counted. */
  private readonly perFileCap: number;
  private readonly perFile = new Map<string, number>();
  readonly suppressed = new Map<string, number>();
  /** of the suppressed, the errors: they still refuse the input and count as errors */
  private suppressedErrors = 0;

  constructor(perFileCap = 100) {
    this.perFileCap = perFileCap;
  }

  error(file: string, line: number | null, message: string): void {
    this.add({ severity: 'error', file, line, message });
  }

  warning(file: string, line: number | null, message: string): void {
    this.add({ severity: 'warning', file, line, message });
  }

  private add(issue: InputIssue): void {
    const n = (this.perFile.get(issue.file) ?? 0) + 1;
    this.perFile.set(issue.file, n);
    if (n > this.perFileCap) {
      this.suppressed.set(issue.file, (this.suppressed.get(issue.file) ?? 0) + 1);
      if (issue.severity === 'error') this.suppressedErrors++;
      return;
    }
    this.issues.push(issue);
  }

  /** Errors, listed or past the cap (warnings are not errors, wherever they are). */
  get errorCount(): number {
    return this.issues.filter((i) => i.severity === 'error').length + this.suppressedErrors;
  }

  /** Whether the input is refused: an error past the cap (after a file's first hundred warnings) counts too. */
  get hasErrors(): boolean {
    return this.errorCount > 0;
  }

  toJSON(): { issues: InputIssue[]; suppressed: Record<string, number> } {
    return { issues: this.issues, suppressed: Object.fromEntries(this.suppressed) };
  }

  /** One line per issue: `file:line: error: message`. */
  format(): string {
    const lines = this.issues.map((i) => `${i.file}${i.line === null ? '' : `:${i.line}`}: ${i.severity}: ${i.message}`);
    for (const [file, n] of this.suppressed) lines.push(`${file}: ${n} more problem(s) not listed`);
    return lines.join('\n');
  }
}
