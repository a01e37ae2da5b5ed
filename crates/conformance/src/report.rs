//! Printing a [`Report`]: the summary table, the failure, JUnit XML.

use crate::cases::Op;
use crate::checks::ContractCheck;
use crate::runner::Report;
use quick_junit::{NonSuccessKind, TestCase, TestCaseStatus, TestSuite};
use std::fmt::Write;

/// The summary: operation × check, passed/failed; requests and time.
pub fn summary(report: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "seed {} · {} cases · {} requests · {:.1} s · {:.0} cases/s",
        report.seed,
        report.cases,
        report.requests,
        report.elapsed.as_secs_f64(),
        report.cases as f64 / report.elapsed.as_secs_f64().max(1e-9)
    );
    let _ = write!(out, "{:<24}", "check");
    for op in Op::ALL {
        let _ = write!(out, "{:>24}", op.operation_id());
    }
    out.push('\n');
    for check in ContractCheck::ALL {
        let _ = write!(out, "{:<24}", check.name());
        for op in Op::ALL {
            let cell = match report.tally.get(&(op, check)) {
                Some((p, 0)) => format!("{p} ok"),
                Some((p, f)) => format!("{p} ok {f} FAILED"),
                None => "-".to_owned(),
            };
            let _ = write!(out, "{cell:>24}");
        }
        out.push('\n');
    }
    if report.skipped > 0 {
        let _ = writeln!(
            out,
            "{} steps skipped (no value could be generated for a live provider's pattern)",
            report.skipped
        );
    }
    if let Some(f) = &report.failure {
        let _ = writeln!(
            out,
            "\nCONTRACT BROKEN (shrunk to {} request(s)); replay:",
            f.replay.len()
        );
        for (i, c) in f.replay.iter().enumerate() {
            let _ = writeln!(out, "  {}. {c}", i + 1);
        }
        let _ = writeln!(out, "step:     {}", f.step);
        let _ = writeln!(out, "expected: {}", f.expected);
        let _ = writeln!(out, "actual:   {}", f.actual);
        for (check, why) in &f.broken {
            let _ = writeln!(out, "  ✗ {}: {why}", check.name());
        }
        let _ = writeln!(out, "replay the whole run with --seed {}", report.seed);
    }
    for r in &report.restore {
        let _ = writeln!(out, "RESTORE FAILED: {r}");
    }
    for r in &report.restore_notes {
        let _ = writeln!(out, "restore: {r}");
    }
    let _ = writeln!(
        out,
        "{}",
        if report.passed() {
            "every contract held"
        } else {
            "the contract was broken"
        }
    );
    out
}

/// The report as JUnit XML: a test case per operation × check.
pub fn junit(report: &Report) -> Result<String, quick_junit::SerializeError> {
    let mut junit = quick_junit::Report::new("lupl-conformance");
    let mut suite = TestSuite::new(format!("seed {}", report.seed));
    for ((op, check), (passed, failed)) in &report.tally {
        let name = format!("{} · {}", op.operation_id(), check.name());
        let mut status = if *failed == 0 {
            TestCaseStatus::success()
        } else {
            TestCaseStatus::non_success(NonSuccessKind::Failure)
        };
        if *failed > 0 {
            status.set_message(format!("{failed} of {} failed", passed + failed));
            if let Some(f) = &report.failure {
                status.set_description(format!(
                    "{}\nexpected: {}\nactual: {}",
                    f.replay.join("\n"),
                    f.expected,
                    f.actual
                ));
            }
        }
        suite.add_test_case(TestCase::new(name, status));
    }
    junit.add_test_suite(suite);
    junit.to_string()
}
