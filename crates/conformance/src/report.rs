//! Printing a [`Report`]: the coverage table, each broken clause with the
//! exchanges that show it, JUnit XML. Text from the target is printed with
//! control characters escaped, so a hostile body cannot drive the terminal,
//! and every secret the process holds is masked wherever it appears.

use crate::divergence::Divergence;
use crate::outcome::{Failure, Report, Reproduced, RestoreOutcome};
use crate::record::{Exchange, curl};
use conformance_core::clauses::{self, Clause};
use conformance_core::compare::Blame;
use conformance_core::mutations::Family;
use conformance_core::wire::Received;
use lupl_safety::text::for_terminal;
use quick_junit::{NonSuccessKind, TestCase, TestCaseStatus, TestSuite};
use std::fmt::Write;

fn clip(text: &str, max: usize) -> String {
    if text.chars().count() > max {
        format!("{}…", text.chars().take(max).collect::<String>())
    } else {
        text.to_owned()
    }
}

/// The coverage table: every clause, its requests, passed and failed, and
/// what no case reached.
pub fn coverage_table(report: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<36}{:>9}{:>8}{:>8}",
        "clause", "requests", "passed", "failed"
    );
    // Sections in CONTRACT.md's order.
    let mut sections: Vec<&str> = Vec::new();
    for clause in Clause::ALL {
        if !sections.contains(&clause.info().section) {
            sections.push(clause.info().section);
        }
    }
    let order = |s: &str| {
        clauses::SECTIONS
            .iter()
            .position(|x| *x == s)
            .unwrap_or(usize::MAX)
    };
    sections.sort_by_key(|s| order(s));
    let rows = sections.iter().flat_map(|section| {
        Clause::ALL
            .iter()
            .filter(move |c| c.info().section == *section)
            .map(move |c| (*section, c))
    });
    let mut current = "";
    for (section, clause) in rows {
        let info = clause.info();
        if section != current {
            current = section;
            let _ = writeln!(out, "{section}");
        }
        let t = report.coverage.clause(*clause);
        let mark = if t.failed > 0 {
            "  ✗"
        } else if !report.coverage.exercised(*clause) {
            "  ·"
        } else {
            ""
        };
        let _ = writeln!(
            out,
            "  {:<34}{:>9}{:>8}{:>8}{mark}",
            info.id, t.requests, t.passed, t.failed
        );
    }
    // The near-miss families, each with the clauses it serves.
    let _ = writeln!(out, "Mutation families");
    for family in Family::ALL {
        let t = report.coverage.family(family);
        let clauses: Vec<String> = family.clauses().iter().map(|c| c.to_string()).collect();
        let mark = if t.failed > 0 { "  ✗" } else { "" };
        let _ = writeln!(
            out,
            "  {:<34}{:>9}{:>8}{:>8}{mark}  {}",
            family.id(),
            t.requests,
            t.passed,
            t.failed,
            clauses.join(", ")
        );
    }
    let missing = report.coverage.not_exercised();
    if !missing.is_empty() {
        let _ = writeln!(out, "not exercised (·):");
        for (clause, why) in missing {
            let _ = writeln!(out, "  {clause}: {why}");
        }
    }
    out
}

fn exchange_text(base_url: &str, e: &Exchange, full: bool, out: &mut String) {
    let _ = writeln!(
        out,
        "     {}",
        for_terminal(&curl(base_url, &e.request), false)
    );
    match &e.response {
        Ok(r) => {
            let content_type = r.header("content-type").unwrap_or("");
            let _ = writeln!(
                out,
                "     → {} {}",
                r.status,
                for_terminal(content_type, false)
            );
            let body = String::from_utf8_lossy(&r.body);
            if full {
                for (name, value) in &r.headers {
                    let _ = writeln!(
                        out,
                        "       {}: {}",
                        for_terminal(name, false),
                        for_terminal(value, false)
                    );
                }
                if !body.is_empty() {
                    let _ = writeln!(out, "       {}", for_terminal(&clip(&body, 2000), false));
                }
            } else if !body.is_empty() {
                let _ = writeln!(out, "       {}", for_terminal(&clip(&body, 200), false));
            }
        }
        Err(e) => {
            let _ = writeln!(out, "     → no answer: {}", for_terminal(e, false));
        }
    }
    if let Some(expected) = &e.expected {
        let _ = writeln!(
            out,
            "       expected: {}",
            for_terminal(&expected.summary(), false)
        );
    }
}

/// One broken clause, with its exchanges.
pub fn failure_text(base_url: &str, f: &Failure) -> String {
    let mut out = String::new();
    let info = f.clause.info();
    let evidence = f.evidence();
    let _ = writeln!(out, "✗ {} [{}]", info.id, info.section);
    let _ = writeln!(out, "  CONTRACT.md: {}", info.sentence);
    let _ = writeln!(
        out,
        "  {}: {}",
        evidence.finding.check.name(),
        for_terminal(
            evidence.finding.failure.as_deref().unwrap_or_default(),
            false
        )
    );
    let n = evidence.exchanges.len();
    let how = match (&f.reproduced, &f.shrunk) {
        (Reproduced::Yes, Some(_)) => format!(
            "reproduced when run again; shrunk to {n} request(s) (from {})",
            f.original.exchanges.len()
        ),
        (Reproduced::No, _) => format!(
            "did NOT reproduce when run again (the target answered differently); the original {n} request(s)"
        ),
        (Reproduced::NotTried(why), _) => {
            format!("not run again ({why}); the original {n} request(s)")
        }
        (Reproduced::Yes, None) => format!("the original {n} request(s)"),
    };
    let _ = writeln!(out, "  case {:?}: {how}:", f.label);
    for (i, e) in evidence.exchanges.iter().enumerate() {
        let _ = writeln!(out, "  {}. {}", i + 1, for_terminal(&e.label, false));
        exchange_text(base_url, e, i + 1 == n, &mut out);
    }
    out
}

fn answer_line(r: &Received) -> String {
    let content_type = r.header("content-type").unwrap_or("-");
    let body = String::from_utf8_lossy(&r.body);
    format!(
        "{} {} {}",
        r.status,
        for_terminal(content_type, false),
        for_terminal(&clip(&body, 300), false)
    )
}

/// One divergence: the clause, which side the oracle agrees with, the
/// steps before it, and the two answers side by side.
pub fn divergence_text(base_url: &str, d: &Divergence, count: u64) -> String {
    let mut out = String::new();
    let info = d.clause.info();
    let _ = writeln!(
        out,
        "≠ {} [{}] ({count} time(s)) — {}",
        info.id,
        info.section,
        d.blame.meaning()
    );
    let _ = writeln!(out, "  CONTRACT.md: {}", info.sentence);
    let n = d.exchanges.len();
    for (i, e) in d.exchanges.iter().enumerate() {
        let _ = writeln!(out, "  {}. {}", i + 1, for_terminal(&e.label, false));
        if i + 1 < n {
            exchange_text(base_url, e, false, &mut out);
            continue;
        }
        let _ = writeln!(
            out,
            "     {}",
            for_terminal(&curl(base_url, &e.request), false)
        );
        if let Some(expected) = &e.expected {
            let _ = writeln!(
                out,
                "     oracle: {}",
                for_terminal(&expected.summary(), false)
            );
        }
        let target = match &e.response {
            Ok(r) => answer_line(r),
            Err(why) => format!("no answer: {}", for_terminal(why, false)),
        };
        let _ = writeln!(out, "     target: {target}");
        for f in e.broken() {
            let _ = writeln!(
                out,
                "             breaks {}: {}",
                f.clause,
                for_terminal(f.failure.as_deref().unwrap_or_default(), false)
            );
        }
        if let Some(m) = &e.model {
            let _ = writeln!(out, "     model:  {}", answer_line(&m.response));
            for f in m.findings.iter().filter(|f| f.failure.is_some()) {
                let _ = writeln!(
                    out,
                    "             breaks {}: {}",
                    f.clause,
                    for_terminal(f.failure.as_deref().unwrap_or_default(), false)
                );
            }
            let aspects: Vec<&str> = m.aspects.iter().map(|a| a.name()).collect();
            let _ = writeln!(out, "     differ in: {}", aspects.join(", "));
        }
    }
    out
}

/// A difference the contract does not decide, as one line: the gap (the
/// clause and what differs), how often, an example request.
pub fn ambiguity_note(base_url: &str, d: &Divergence, count: u64) -> String {
    let aspects: Vec<&str> = d
        .model()
        .map(|m| m.aspects.iter().map(|a| a.name()).collect())
        .unwrap_or_default();
    let example = d
        .last()
        .map(|e| for_terminal(&curl(base_url, &e.request), false))
        .unwrap_or_default();
    format!(
        "CONTRACT.md does not decide the {} of {} (\"{}\"): the target and the model answered differently {count} time(s) and the oracle accepts both; not a failure (--strict makes it one). For example: {example}",
        aspects.join(", "),
        d.clause,
        d.clause.info().sentence,
    )
}

/// The divergences by clause and blame, as a table.
pub fn divergence_table(report: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{:<36}{:<10}{:>7}", "clause", "blame", "times");
    let shown: Vec<(Clause, Blame)> = report
        .divergences
        .failing(report.strict_compare)
        .map(|d| (d.clause, d.blame))
        .collect();
    for ((clause, blame), n) in report
        .divergences
        .counts
        .iter()
        .filter(|(k, _)| shown.contains(k))
    {
        let _ = writeln!(
            out,
            "  {:<34}{:<10}{n:>7}",
            clause.to_string(),
            blame.name()
        );
    }
    out
}

/// The whole report: summary line, coverage table, failures, restore.
pub fn summary(report: &Report, base_url: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "seed {} · {} cases · {} requests · {:.1} s",
        report.seed,
        report.cases,
        report.requests,
        report.elapsed.as_secs_f64(),
    );
    out.push_str(&coverage_table(report));
    if report.budget_spent {
        let _ = writeln!(
            out,
            "the request budget was spent before every case ran (--max-requests)"
        );
    }
    if report.skipped > 0 {
        let _ = writeln!(
            out,
            "{} steps skipped (no value could be generated for a live provider's pattern)",
            report.skipped
        );
    }
    for (clause, why) in &report.transient {
        let _ = writeln!(
            out,
            "transient (did not happen again, not counted as broken): {clause}: {}",
            for_terminal(why, false)
        );
    }
    for note in &report.notes {
        let _ = writeln!(out, "note: {}", for_terminal(note, false));
    }
    if !report.failures.is_empty() {
        let _ = writeln!(
            out,
            "\n{} clause(s) of CONTRACT.md broken:\n",
            report.failures.len()
        );
        for f in &report.failures {
            out.push_str(&failure_text(base_url, f));
            out.push('\n');
        }
        let _ = writeln!(out, "replay the whole run with --seed {}", report.seed);
    }
    let failing: Vec<&Divergence> = report.divergences.failing(report.strict_compare).collect();
    if !failing.is_empty() {
        let _ = writeln!(
            out,
            "\nthe target and the model (--compare-model) differ at {} place(s):\n",
            failing.len()
        );
        for d in &failing {
            out.push_str(&divergence_text(base_url, d, report.divergences.count(d)));
            out.push('\n');
        }
        out.push_str(&divergence_table(report));
    }
    if !report.strict_compare {
        for d in report.divergences.ambiguous() {
            let _ = writeln!(
                out,
                "note: {}",
                ambiguity_note(base_url, d, report.divergences.count(d))
            );
        }
    }
    for r in &report.restore {
        let _ = match r {
            RestoreOutcome::Restored(op) => writeln!(out, "restored {}", op.operation_id()),
            RestoreOutcome::Unchanged(_) => Ok(()),
            RestoreOutcome::Refused(op, why, saved) => writeln!(
                out,
                "restore: {} cannot be put back, the API refuses it now ({}); saved JSON: {}",
                op.operation_id(),
                for_terminal(why, false),
                // Exactly as saved (nothing masked): it is what the user
                // writes back by hand.
                lupl_safety::text::json_safe(saved.clone())
            ),
            RestoreOutcome::CannotDelete(op) => writeln!(
                out,
                "restore: {} was null before the run and the API cannot delete; it now holds the harness's last write",
                op.operation_id()
            ),
            RestoreOutcome::Failed(op, why, saved) => writeln!(
                out,
                "RESTORE FAILED: {}: {}; saved JSON: {}",
                op.operation_id(),
                for_terminal(why, false),
                lupl_safety::text::json_safe(saved.clone())
            ),
        };
    }
    if let Some(why) = &report.aborted {
        let _ = writeln!(out, "STOPPED: {}", for_terminal(why, false));
    }
    let verdict = if report.interrupted {
        "interrupted: the run is incomplete"
    } else if report.aborted.is_some() {
        "the run could not finish"
    } else if report.cases == 0 {
        "no case ran (raise --max-requests): nothing was checked"
    } else if report.passed() {
        "every clause held"
    } else if !report.failures.is_empty() {
        "the contract was broken"
    } else if report
        .divergences
        .failing(report.strict_compare)
        .next()
        .is_some()
    {
        "the target and the model differ"
    } else if report
        .restore
        .iter()
        .any(|r| matches!(r, RestoreOutcome::Failed(..)))
    {
        "the restore failed (see above): the target is not as it was"
    } else {
        "the run did not pass"
    };
    let _ = writeln!(out, "{verdict}");
    // Whatever the target echoed (a token in a header or a body) is masked
    // wherever it stands.
    lupl_safety::secrets::scrub(&out).into_owned()
}

/// The report as JUnit XML: a test case per clause (skipped when no case
/// reached it).
pub fn junit(report: &Report, base_url: &str) -> Result<String, quick_junit::SerializeError> {
    let mut junit = quick_junit::Report::new("lupl-conformance");
    let mut suite = TestSuite::new(format!("seed {}", report.seed));
    for clause in Clause::ALL {
        let info = clause.info();
        let t = report.coverage.clause(*clause);
        let status = match report.failure(*clause) {
            Some(f) => {
                let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
                s.set_message(format!("{} of {} requests failed", t.failed, t.requests));
                s.set_description(failure_text(base_url, f));
                s
            }
            None if !report.coverage.exercised(*clause) => {
                let mut s = TestCaseStatus::skipped();
                s.set_message("not exercised");
                s
            }
            None => TestCaseStatus::success(),
        };
        let mut case = TestCase::new(format!("{} — {}", info.id, info.sentence), status);
        case.set_classname(info.section);
        suite.add_test_case(case);
    }
    junit.add_test_suite(suite);
    junit
        .to_string()
        .map(|text| lupl_safety::secrets::scrub(&text).into_owned())
}
