//! The ways a request fails, each at one stage of the order of checks and
//! under one clause, and the status each stage answers with.

use crate::clauses::Clause;
use crate::oracle::expected::{Feature, KeyExpectation};
use crate::order::Stage;

/// One way the request fails, at one stage.
#[derive(Debug, Clone)]
pub(crate) struct Failure {
    pub(crate) stage: Stage,
    pub(crate) clause: Clause,
    pub(crate) key: Option<(String, KeyExpectation)>,
}

pub(crate) fn fail(stage: Stage, clause: Clause) -> Failure {
    Failure {
        stage,
        clause,
        key: None,
    }
}

pub(crate) fn fail_key(
    stage: Stage,
    clause: Clause,
    key: impl Into<String>,
    message: Option<String>,
) -> Failure {
    fail_keys(
        stage,
        clause,
        key,
        Vec::new(),
        message.into_iter().collect(),
    )
}

/// A failure under `key` (or one of `or`), with any of `messages`.
pub(crate) fn fail_keys(
    stage: Stage,
    clause: Clause,
    key: impl Into<String>,
    or: Vec<String>,
    messages: Vec<String>,
) -> Failure {
    Failure {
        stage,
        clause,
        key: Some((
            key.into(),
            KeyExpectation {
                clause,
                or,
                messages,
            },
        )),
    }
}

pub(crate) fn feature(
    clause: Clause,
    stage: Stage,
    keys: Vec<String>,
    statuses: Vec<u16>,
    rank: u8,
) -> Feature {
    Feature {
        clause,
        stage,
        keys,
        statuses,
        rank,
    }
}

/// The status the first failing stage answers with.
pub(crate) fn status_of(stage: Stage, clause: Clause) -> u16 {
    match stage {
        Stage::Routing if clause == Clause::RouteMethod => 405,
        Stage::Routing => 404,
        Stage::Authentication => 401,
        Stage::Throttling => 429,
        Stage::MediaType => 415,
        Stage::Binding | Stage::Rules => 400,
        Stage::Authorization => 403,
    }
}

/// A malformed id close to a uuid (32 hex digits or more, in a form the
/// contract does not take) tests the uuid forms; anything else the
/// binding rule it breaks.
pub(crate) fn malformed_clause(raw: &str, otherwise: Clause) -> Clause {
    if raw.chars().filter(char::is_ascii_hexdigit).count() >= 32 {
        Clause::BindUuidForms
    } else {
        otherwise
    }
}

pub(crate) fn required(member: &str) -> Failure {
    fail_key(
        Stage::Binding,
        Clause::BindMemberRequired,
        member,
        Some(format!("The {member} field is required.")),
    )
}
