//! The request vocabulary: a [`Step`] says who sends what to which
//! operation, in which shape; the oracle makes it concrete.

use crate::cases::organization::OrgCase;
use crate::cases::provider::ProviderCase;
use crate::mutations::{Carrier, TokenMutation};
use crate::operation::Op;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Who sends a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Who {
    /// Identity 0 or 1 of the target, with its token.
    Identity(usize),
    /// No `Authorization` header.
    NoToken,
    /// A bearer token the server does not know.
    UnknownToken,
    /// The right token under another scheme (`Basic`).
    OtherScheme,
    /// Identity `i`'s token changed a little, as a bearer token
    /// ([`Family::TokenNearMiss`](crate::mutations::Family)).
    NearMiss(usize, TokenMutation),
    /// Identity `i`'s token in another carrier, and no `Authorization`
    /// ([`Family::TokenCarrier`](crate::mutations::Family)).
    Carried(usize, Carrier),
}

/// Whose resource a step names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Whose {
    /// The sender's own provider or organization.
    Own,
    /// Another tenant's (the other identity's, or the foreign ids given).
    Foreign,
    /// An id nobody has.
    Nobody,
}

/// A method the API does not have on its two paths.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum OtherMethod {
    /// `PUT`.
    Put,
    /// `DELETE`.
    Delete,
    /// `PATCH`.
    Patch,
    /// `HEAD`.
    Head,
    /// `OPTIONS`.
    Options,
}

impl OtherMethod {
    /// Every one.
    pub const ALL: [OtherMethod; 5] = [
        OtherMethod::Put,
        OtherMethod::Delete,
        OtherMethod::Patch,
        OtherMethod::Head,
        OtherMethod::Options,
    ];

    /// The method's name.
    pub fn name(self) -> &'static str {
        match self {
            OtherMethod::Put => "PUT",
            OtherMethod::Delete => "DELETE",
            OtherMethod::Patch => "PATCH",
            OtherMethod::Head => "HEAD",
            OtherMethod::Options => "OPTIONS",
        }
    }
}

/// A path the API does not have, made from an operation's path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum OtherPath {
    /// A letter appended to the last segment (`…/providerconfigs`).
    Plural,
    /// Another API version (`/api/2.0/…`).
    Version,
    /// One more segment (`…/providerconfig/extra`).
    Deeper,
    /// The last segment dropped (`/api/1.0/pms`).
    Parent,
}

impl OtherPath {
    /// `path` changed this way.
    pub fn apply(self, path: &str) -> String {
        match self {
            OtherPath::Plural => format!("{path}s"),
            OtherPath::Version => path.replacen("1.0", "2.0", 1),
            OtherPath::Deeper => format!("{path}/extra"),
            OtherPath::Parent => path
                .rsplit_once('/')
                .map(|(p, _)| p.to_owned())
                .unwrap_or_default(),
        }
    }
}

/// The route a step takes to its operation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Route {
    /// The documented method and path.
    Canonical,
    /// The documented path with letters' case flipped by this mask (bit
    /// `i % 64` for letter `i`; never zero).
    PathCase(u64),
    /// Another method on the operation's path.
    Method(OtherMethod),
    /// A path the API does not have.
    Path(OtherPath),
}

/// Spellings of a uuid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum IdForm {
    /// Lower-case hyphenated, as clients send it.
    Lower,
    /// Upper case.
    Upper,
    /// 32 hex digits.
    Bare,
    /// 32 upper-case hex digits.
    BareUpper,
    /// `{…}`.
    Braces,
    /// `(…)`.
    Parens,
}

impl IdForm {
    /// Every accepted form besides [`IdForm::Lower`].
    pub const OTHERS: [IdForm; 5] = [
        IdForm::Upper,
        IdForm::Bare,
        IdForm::BareUpper,
        IdForm::Braces,
        IdForm::Parens,
    ];

    /// `id` in this form.
    pub fn render(self, id: &uuid::Uuid) -> String {
        let id = id.hyphenated().to_string();
        match self {
            IdForm::Lower => id,
            IdForm::Upper => id.to_uppercase(),
            IdForm::Bare => id.replace('-', ""),
            IdForm::BareUpper => id.replace('-', "").to_uppercase(),
            IdForm::Braces => format!("{{{id}}}"),
            IdForm::Parens => format!("({id})"),
        }
    }
}

/// A GET's query string.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Query {
    /// The id in this form, under the parameter name with letters' case
    /// flipped by `name_case` (0: as documented).
    Id {
        /// How the id is written.
        form: IdForm,
        /// Case mask of the parameter name.
        name_case: u64,
    },
    /// No parameter at all.
    Missing,
    /// The parameter with an empty value.
    Empty,
    /// The parameter with a value that is not a uuid.
    Malformed(String),
    /// The parameter twice: the id and `other`, in this order when
    /// `id_first`, else the other way round.
    Twice {
        /// Whether the id comes first.
        id_first: bool,
        /// The other value (never a uuid).
        other: String,
    },
}

/// A POST's `Content-Type`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Media {
    /// A JSON media type, as written.
    Json(String),
    /// Another media type, as written.
    NotJson(String),
    /// No `Content-Type` header.
    Missing,
}

/// A change to the top level of a JSON body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Edit {
    /// A member removed.
    Remove(String),
    /// A member set to `null`.
    Null(String),
    /// A member set to a value of the wrong JSON type (or a string that is
    /// not a uuid, for an id).
    Set(String, Value),
    /// An unknown member added.
    Extra(String, Value),
}

/// Which provider an organization write names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum OrgPms {
    /// The sender's own provider.
    Own,
    /// A provider nobody registered.
    Nobody,
}

/// What a well-formed body carries.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Content {
    /// A provider configuration, valid by construction, then changed by
    /// each case in order.
    Provider {
        /// The valid configuration.
        config: Value,
        /// Rules exercised on it.
        cases: Vec<ProviderCase>,
    },
    /// Organization fields generated when the step is planned, against the
    /// provider configuration the case knows (seeded), then changed by each
    /// case in order.
    Organization {
        /// Seeds the values.
        seed: u64,
        /// Rules exercised on them.
        cases: Vec<OrgCase>,
    },
}

/// A POST's body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Body {
    /// No bytes.
    Empty,
    /// Bytes that are not JSON.
    Text(String),
    /// JSON that is not an object.
    Scalar(Value),
    /// A JSON object: ids in a form, top-level edits, and the content.
    Object {
        /// How the ids are written.
        ids: IdForm,
        /// Changes to the top level, applied last.
        edits: Vec<Edit>,
        /// The content.
        content: Content,
    },
}

/// How a step's request is formed, beyond its route.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Shape {
    /// A GET with this query.
    Get(Query),
    /// A POST with this media type and body.
    Post(Media, Body),
}

/// One step of a case.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Step {
    /// The operation.
    pub op: Op,
    /// The sender.
    pub who: Who,
    /// Whose resource.
    pub whose: Whose,
    /// The route.
    pub route: Route,
    /// The request's shape.
    pub shape: Shape,
}

impl Step {
    /// A valid GET of identity `i`'s own resource.
    pub fn read(op: Op, i: usize) -> Step {
        Step {
            op: op.read(),
            who: Who::Identity(i),
            whose: Whose::Own,
            route: Route::Canonical,
            shape: Shape::Get(Query::Id {
                form: IdForm::Lower,
                name_case: 0,
            }),
        }
    }

    /// A write of identity `i`'s own resource with this content.
    pub fn write(op: Op, i: usize, content: Content) -> Step {
        Step {
            op: op.write(),
            who: Who::Identity(i),
            whose: Whose::Own,
            route: Route::Canonical,
            shape: Shape::Post(
                Media::Json("application/json".into()),
                Body::Object {
                    ids: IdForm::Lower,
                    edits: Vec::new(),
                    content,
                },
            ),
        }
    }

    /// The body's content, if the step has one.
    pub fn content_mut(&mut self) -> Option<&mut Content> {
        match &mut self.shape {
            Shape::Post(_, Body::Object { content, .. }) => Some(content),
            _ => None,
        }
    }
}
