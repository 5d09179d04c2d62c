/**
 * A review rendered for people (text), for programs (JSON, the documented contract) and for
 * code-scanning tools (SARIF 2.1.0, one rule per property id).
 *
 * JSON and SARIF are deterministic: the same input under the same limits gives the same bytes,
 * whether the explorations ran afresh, came from stored results, ran in the extension's worker
 * or in the CLI (test/unit/determinism.test.ts). So they hold no timings and no paths beyond
 * the file names given. They do hold each exploration's state count: the explorer is
 * deterministic, so the count is too, and it is the coverage an `inconclusive` verdict reports.
 * The one exception is an exploration cut by the wall clock (`--timeout-ms`): how far it got
 * depends on the machine, and its count and message say so.
 */
import { PROPERTY_INFO } from '../model/properties';
import { PROFILES } from '../model/profiles';
import { Finding, PatchReview, Review } from './review';
import { formatCounters } from './simulationReport';

export interface ReviewedFile {
  readonly file: string;
  readonly review: Review;
}

const VERDICT_WORD: Record<Finding['verdict'], string> = {
  introduced: 'INTRODUCED',
  fixed: 'fixed',
  'still-violated': 'still violated',
  inconclusive: 'INCONCLUSIVE',
};

function hunkLine(h: PatchReview['hunks'][number]): string {
  const where = `${h.file}${h.function ? `: ${h.function}()` : ''}, lines ${h.startLine}-${h.endLine}`;
  switch (h.status) {
    case 'modelled':
      return `hunk ${h.index} (${where}): modelled`;
    case 'partial':
      return `hunk ${h.index} (${where}): modelled in part; ${h.reason}`;
    case 'no-behavioural-change':
      return `hunk ${h.index} (${where}): no behavioural change (${h.reason})`;
    case 'not-modelled':
      return `hunk ${h.index} (${where}): not modelled: ${h.reason}`;
  }
}

export function formatReviewText(files: readonly ReviewedFile[]): string {
  const out: string[] = [];
  for (const { file, review } of files) {
    const prof = PROFILES.find((p) => p.id === review.profile);
    const how = { option: 'from --profile', date: "from the mail's Date:", default: 'no --profile and no Date:, so upstream' }[review.profileFrom];
    out.push(`KVM Race Lens: ${file}`);
    out.push(`  profile ${review.profile} (${how})${prof ? `: ${prof.summary}` : ''}`);
    for (const n of review.notes) out.push(`  note: ${n}`);
    for (const p of review.patches) {
      out.push('');
      const title = p.subject ?? p.title ?? '(no subject)';
      out.push(`patch${p.series ? ` ${p.series.n}/${p.series.total}` : ''}: ${title}${p.date ? `  [${p.date}]` : ''}`);
      for (const h of p.hunks) {
        out.push(`  ${hunkLine(h)}`);
        for (const c of h.changes) out.push(`      line ${c.line}: ${c.program}: ${c.summary}`);
        for (const n of h.notes) if (h.status === 'modelled' || h.status === 'partial') out.push(`      note: ${n}`);
      }
      for (const n of p.notes) out.push(`  note: ${n}`);
      if (!p.findings.length && p.scenarios.length) out.push(`  no property changes its verdict in ${p.scenarios.length} scenarios`);
      for (const f of p.findings) {
        out.push('');
        out.push(`  ${VERDICT_WORD[f.verdict]}: ${f.property} in ${f.scenario}${f.alsoIn.length ? ` (also ${f.alsoIn.join(', ')})` : ''}`);
        out.push(`    hunks ${f.hunks.join(', ')}; lines ${f.lines.join(', ') || '-'}`);
        out.push(`    ${f.message}`);
        if (f.counterexample.length) {
          out.push(`    ${f.verdict === 'fixed' ? 'the counterexample the patch removes' : 'shortest counterexample'} (${f.counterexample.length} steps):`);
          const width = Math.max(...f.counterexample.map((s) => s.actor.length));
          for (const s of f.counterexample) {
            const changed = Object.entries(s.changed)
              .map(([k, v]) => `${k}=${v}`)
              .join(' ');
            out.push(`    ${String(s.n).padStart(3)}  ${s.actor.padEnd(width)}  ${s.step}${s.line !== undefined ? `   (line ${s.line})` : ''}${changed ? `   [${changed}]` : ''}`);
          }
        }
      }
      if (p.scenarios.length) {
        out.push('');
        out.push(`  counters, maximum over the ${p.scenarios.length} scenarios: before ${formatCounters(p.counters.baseline)}`);
        out.push(`                                          after  ${formatCounters(p.counters.patched)}`);
      }
    }
    const s = review.summary;
    out.push('');
    out.push(`summary: ${s.introduced} introduced, ${s.fixed} fixed, ${s.stillViolated} still violated, ${s.inconclusive} inconclusive, ${s.notModelled} hunk${s.notModelled === 1 ? '' : 's'} not modelled`);
    out.push('');
  }
  return out.join('\n');
}

/** The JSON contract (README "JSON output"): the review without timings or step-by-step states. */
export function reviewJson(r: Review, file?: string): unknown {
  return {
    schema: r.schema,
    ...(file !== undefined ? { file } : {}),
    profile: r.profile,
    profileFrom: r.profileFrom,
    notes: r.notes,
    patches: r.patches.map((p) => ({
      subject: p.subject,
      title: p.title,
      author: p.author,
      date: p.date,
      messageId: p.messageId,
      series: p.series,
      startLine: p.startLine,
      endLine: p.endLine,
      hunks: p.hunks.map((h) => ({
        index: h.index,
        file: h.file,
        function: h.function,
        startLine: h.startLine,
        endLine: h.endLine,
        modelled: h.modelled,
        status: h.status,
        reason: h.reason,
        changes: h.changes,
        notes: h.notes,
      })),
      findings: p.findings.map((f) => ({
        property: f.property,
        verdict: f.verdict,
        scenario: f.scenario,
        alsoIn: f.alsoIn,
        hunks: f.hunks,
        lines: f.lines,
        message: f.message,
        explanation: f.explanation,
        counterexample: f.counterexample,
      })),
      counters: p.counters,
      scenarios: p.scenarios.map((s) => ({ scenario: s.scenario, baseline: s.baseline, patched: s.patched, states: { baseline: s.stats.baseline.states, patched: s.stats.patched.states } })),
      notes: p.notes,
    })),
    summary: r.summary,
  };
}

export type CheckFormat = 'text' | 'json' | 'sarif';

/** What `kvm-race-lens check` writes to stdout for the files it reviewed, byte for byte. */
export function formatCheck(files: readonly ReviewedFile[], format: CheckFormat, version: string): string {
  switch (format) {
    case 'text':
      return formatReviewText(files);
    case 'json': {
      const docs = files.map((f) => reviewJson(f.review, f.file));
      return JSON.stringify(docs.length === 1 ? docs[0] : docs, null, 2) + '\n';
    }
    case 'sarif':
      return JSON.stringify(reviewSarif(files, version), null, 2) + '\n';
  }
}

const SARIF_LEVEL: Record<Finding['verdict'], 'error' | 'warning' | 'note'> = {
  introduced: 'error',
  'still-violated': 'warning',
  inconclusive: 'warning',
  fixed: 'note',
};

/** SARIF 2.1.0: rule ids are the property ids; locations point at the patch file's lines. */
export function reviewSarif(files: readonly ReviewedFile[], version: string): unknown {
  const rules = Object.values(PROPERTY_INFO).map((p) => ({
    id: p.id,
    name: p.title.replace(/[^A-Za-z]+/g, ''),
    shortDescription: { text: p.title },
    fullDescription: { text: p.holdsWhen },
    helpUri: `https://github.com/kvm-race-lens/kvm-race-lens#${p.doc}`,
  }));
  const results: unknown[] = [];
  const notifications: unknown[] = [];
  for (const { file, review } of files) {
    for (const p of review.patches) {
      for (const h of p.hunks) {
        if (h.status !== 'not-modelled' && h.status !== 'partial') continue;
        notifications.push({
          level: 'note',
          message: { text: `hunk ${h.index}: ${h.status === 'partial' ? 'modelled in part' : 'not modelled'}: ${h.reason}` },
          locations: [{ physicalLocation: { artifactLocation: { uri: file }, region: { startLine: h.startLine, endLine: h.endLine } } }],
        });
      }
      for (const f of p.findings) {
        const hunk = p.hunks.find((h) => h.index === f.hunks[0]);
        const first = f.lines[0] ?? hunk?.startLine ?? p.startLine;
        const loc = (line: number, text?: string) => ({
          physicalLocation: { artifactLocation: { uri: file }, region: { startLine: line } },
          ...(text ? { message: { text } } : {}),
        });
        results.push({
          ruleId: f.property,
          level: SARIF_LEVEL[f.verdict],
          message: { text: f.message },
          locations: [loc(first)],
          relatedLocations: f.lines.slice(1).map((l, k) => ({ id: k + 1, ...loc(l) })),
          ...(f.counterexample.length
            ? {
                codeFlows: [
                  {
                    message: { text: `${f.verdict === 'fixed' ? 'counterexample removed by the patch' : 'shortest counterexample'} in ${f.scenario}` },
                    threadFlows: [
                      {
                        locations: f.counterexample.map((s) => ({
                          location: loc(s.line ?? first, `${s.actor}: ${s.step}`),
                          ...(s.line === undefined ? { kinds: ['model'] } : {}),
                        })),
                      },
                    ],
                  },
                ],
              }
            : {}),
          properties: { verdict: f.verdict, scenario: f.scenario, alsoIn: f.alsoIn, hunks: f.hunks, profile: review.profile },
        });
      }
    }
  }
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: { driver: { name: 'kvm-race-lens', version, informationUri: 'https://github.com/kvm-race-lens/kvm-race-lens', rules } },
        invocations: [{ executionSuccessful: true, toolExecutionNotifications: notifications }],
        artifacts: files.map((f) => ({ location: { uri: f.file } })),
        results,
      },
    ],
  };
}
