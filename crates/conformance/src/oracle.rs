//! The oracle: turns a step into a concrete request and predicts the answer
//! from how the step was made and CONTRACT.md's order of checks. It keeps a
//! shadow of what the target should hold, for round-trips and for judging
//! organization fields against the provider's current configuration.
//!
//! It never calls `lupl_model::rules` or `lupl_model::binding`: a harness
//! that asked the model what the model should answer would prove nothing.

use crate::cases::{Body, Op, OrgViolation, PATTERNS, Shape, Step, Who, Whose, break_provider};
use crate::target::Target;
use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::{Config, TestRunner};
use serde_json::{Map, Value, json};
use uuid::Uuid;

/// A request, ready to send.
#[derive(Debug, Clone, PartialEq)]
pub struct RawRequest {
    /// `GET` or `POST`.
    pub method: String,
    /// Path and query.
    pub path_and_query: String,
    /// The `Authorization` value, if any.
    pub authorization: Option<String>,
    /// The `Content-Type`, if any.
    pub content_type: Option<String>,
    /// The body.
    pub body: Vec<u8>,
}

impl RawRequest {
    /// A GET of one of `op`'s resources (`pmsId` or `organizationId` = `id`).
    pub fn get(op: Op, id: Uuid, token: &str) -> Self {
        let (_, path) = op.route();
        RawRequest {
            method: "GET".into(),
            path_and_query: format!("{path}?{}={id}", op.query_parameter()),
            authorization: Some(format!("Bearer {token}")),
            content_type: None,
            body: Vec::new(),
        }
    }
}

/// What the contract says the answer must be.
#[derive(Debug, Clone, PartialEq)]
pub struct Expected {
    /// The status.
    pub status: u16,
    /// For a 400: a key `errors` must hold.
    pub error_key: Option<String>,
    /// For a 200 GET: the body (what was stored).
    pub body: Option<Value>,
    /// Which step of the order of checks answers, for reports.
    pub because: String,
}

/// A write the target should now hold, applied when it answers 200.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Identity `i`'s provider configuration is now this.
    Provider(usize, Value),
    /// Identity `i`'s organization configuration is now this.
    Organization(usize, Value),
}

/// A step made concrete, with its prediction.
#[derive(Debug, Clone)]
pub struct Planned {
    /// The request.
    pub request: RawRequest,
    /// The prediction.
    pub expected: Expected,
    /// What a 200 changes.
    pub effect: Option<Effect>,
}

/// What the target should hold, per identity.
#[derive(Debug, Clone, Default)]
pub struct Shadow {
    /// Provider configurations (`null` when none).
    pub providers: Vec<Value>,
    /// Organization configurations (`null` when none).
    pub organizations: Vec<Value>,
}

impl Shadow {
    /// Applies a confirmed write.
    pub fn apply(&mut self, effect: &Effect) {
        match effect {
            Effect::Provider(i, v) => self.providers[*i] = v.clone(),
            Effect::Organization(i, v) => self.organizations[*i] = v.clone(),
        }
    }
}

fn expect(status: u16, error_key: Option<String>, because: &str) -> Expected {
    Expected {
        status,
        error_key,
        body: None,
        because: because.to_owned(),
    }
}

/// A value matching `pattern`: the known value for the harness's own
/// patterns, else one generated from the regular expression.
fn matching(pattern: &str, seed: u64) -> Option<String> {
    if let Some((_, ok, _)) = PATTERNS.iter().find(|(p, _, _)| *p == pattern) {
        return Some((*ok).to_owned());
    }
    let strategy =
        proptest::string::string_regex(pattern.trim_start_matches('^').trim_end_matches('$'))
            .ok()?;
    let mut runner =
        TestRunner::new_with_rng(Config::default(), crate::cases::seeded_rng(seed, &[0; 8]));
    strategy.new_tree(&mut runner).ok().map(|t| t.current())
}

/// Organization fields valid for `provider` (seeded), or `None` when a
/// required field has a pattern no value can be generated for.
pub fn valid_fields(provider: &Value, seed: u64) -> Option<Map<String, Value>> {
    let mut fields = Map::new();
    for (i, field) in provider["fields"]
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
    {
        let key = field["key"].as_str()?.to_owned();
        let required = field["required"].as_bool() == Some(true);
        if !required && (seed >> (i % 64)) & 1 == 0 {
            continue;
        }
        let value = match field["type"].as_str()? {
            "string" => match field["pattern"].as_str() {
                Some(p) => json!(matching(p, seed)?),
                None => json!(format!("value-{i}")),
            },
            "number" => json!(1.5 + i as f64),
            "boolean" => json!(i % 2 == 0),
            "select" => field["options"].as_array()?.first()?.clone(),
            _ => return None,
        };
        fields.insert(key, value);
    }
    Some(fields)
}

/// Breaks valid `fields` by `violation` against `provider`; returns the key.
pub fn break_fields(
    provider: &Value,
    fields: &mut Map<String, Value>,
    violation: OrgViolation,
) -> String {
    let declared: Vec<&Value> = provider["fields"]
        .as_array()
        .into_iter()
        .flatten()
        .collect();
    let key_of = |f: &Value| f["key"].as_str().unwrap_or_default().to_owned();
    let undeclared = |fields: &mut Map<String, Value>| {
        fields.insert("zzUndeclared".into(), json!("x"));
        "fields.zzUndeclared".to_owned()
    };
    match violation {
        OrgViolation::MissingRequired => {
            match declared
                .iter()
                .find(|f| f["required"].as_bool() == Some(true))
            {
                Some(f) => {
                    fields.remove(&key_of(f));
                    format!("fields.{}", key_of(f))
                }
                None => undeclared(fields),
            }
        }
        OrgViolation::WrongValueType => match declared.first() {
            Some(f) => {
                let wrong = match f["type"].as_str() {
                    Some("number") => json!("12"),
                    Some("boolean") => json!("true"),
                    _ => json!(12345),
                };
                fields.insert(key_of(f), wrong);
                format!("fields.{}", key_of(f))
            }
            None => undeclared(fields),
        },
        OrgViolation::UndeclaredKey | OrgViolation::UnknownProvider => undeclared(fields),
    }
}

fn basic(token: &str) -> String {
    use base64::Engine;
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{token}:"))
    )
}

fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Makes `step` concrete against `target` and predicts its answer.
/// `None` when the step cannot be predicted on this target (a live
/// provider's pattern the harness cannot generate for).
pub fn plan(step: &Step, target: &Target, shadow: &Shadow) -> Option<Planned> {
    let me = match step.who {
        Who::Identity(i) => i.min(target.identities.len() - 1),
        _ => 0,
    };
    let identity = &target.identities[me];
    let nobody = Uuid::from_u128(0x0bad_0000_0000_4000_8000_0000_0000_0001);
    let (pms, org) = match step.whose {
        Whose::Own => (identity.pms_id, identity.organization_id),
        Whose::Foreign => (
            target.foreign_pms(me).unwrap_or(nobody),
            target.foreign_organization(me).unwrap_or(nobody),
        ),
        Whose::Nobody => (nobody, nobody),
    };
    let form = |id: Uuid| match &step.shape {
        Shape::IdForm(f, _) => f.render(&id.to_string()),
        _ => id.to_string(),
    };
    let (method, path) = step.op.route();
    let authorization = match step.who {
        Who::Identity(_) => Some(format!("Bearer {}", identity.token)),
        Who::NoToken => None,
        Who::UnknownToken => Some("Bearer not-a-token-the-server-knows".to_owned()),
        Who::BasicScheme => Some(basic(&identity.token)),
    };
    let mut request = RawRequest {
        method,
        path_and_query: path,
        authorization,
        content_type: None,
        body: Vec::new(),
    };
    let own_resource = step.whose == Whose::Own;

    // The request and, along the way, what the body alone predicts.
    let mut semantic: Option<String> = None;
    let mut effect = None;
    if step.op.is_post() {
        request.content_type = Some(match &step.shape {
            Shape::ContentType(ct) => ct.clone(),
            _ => "application/json".to_owned(),
        });
        let body_plan = match &step.shape {
            Shape::Valid(b) | Shape::IdForm(_, b) => b.clone(),
            _ => match step.op {
                Op::SetProvider => Body::Provider(
                    lupl_spec::Spec::workspace()
                        .schema_example("ProviderConfiguration")
                        .cloned()
                        .unwrap_or(Value::Null),
                    None,
                ),
                _ => Body::Organization(0, Some(OrgViolation::UnknownProvider)),
            },
        };
        let mut body = match (&body_plan, step.op) {
            (Body::Provider(config, violation), _) => {
                let mut config = config.clone();
                if let Some(v) = violation {
                    semantic = Some(break_provider(&mut config, *v));
                } else {
                    effect = Some(Effect::Provider(me, config.clone()));
                }
                json!({"pmsId": form(pms), "config": config})
            }
            (Body::Organization(seed, violation), _) => {
                let provider = &shadow.providers[me];
                let mut pms_for_org = identity.pms_id;
                let mut fields = Map::new();
                if provider.is_null() || *violation == Some(OrgViolation::UnknownProvider) {
                    if *violation == Some(OrgViolation::UnknownProvider) {
                        pms_for_org = nobody;
                    }
                    semantic = Some("pmsId".to_owned());
                } else {
                    fields = valid_fields(provider, *seed)?;
                    match violation {
                        Some(v) => semantic = Some(break_fields(provider, &mut fields, *v)),
                        None => {
                            effect = Some(Effect::Organization(
                                me,
                                json!({"organizationId": org, "pmsId": pms_for_org, "fields": fields}),
                            ))
                        }
                    }
                }
                json!({"organizationId": form(org), "pmsId": form(pms_for_org), "fields": fields})
            }
            (Body::None, _) => json!({}),
        };
        match &step.shape {
            Shape::MissingMember(m) => {
                body.as_object_mut().map(|o| o.remove(m));
            }
            Shape::NullMember(m) => body[m.as_str()] = Value::Null,
            Shape::WrongType(m, v) => body[m.as_str()] = v.clone(),
            Shape::ExtraMember(m) => body[format!("x{m}")] = json!({"ignored": true}),
            _ => {}
        }
        request.body = match &step.shape {
            Shape::EmptyBody => Vec::new(),
            Shape::NotJson(text) => text.clone().into_bytes(),
            Shape::NotObject(v) => v.to_string().into_bytes(),
            _ => body.to_string().into_bytes(),
        };
    } else {
        let name = step.op.query_parameter();
        let query = match &step.shape {
            Shape::MissingParameter => None,
            Shape::EmptyParameter => Some(format!("{name}=")),
            Shape::MalformedParameter(raw) => Some(format!("{name}={}", encode(raw))),
            _ => {
                let id = if step.op == Op::GetProvider { pms } else { org };
                Some(format!("{name}={}", encode(&form(id))))
            }
        };
        if let Some(q) = query {
            request.path_and_query = format!("{}?{q}", request.path_and_query);
        }
    }

    // CONTRACT.md, "Order of checks".
    let expected = if !matches!(step.who, Who::Identity(_)) {
        expect(401, None, "1: no or unknown bearer token")
    } else if let Shape::ContentType(_) = step.shape {
        expect(415, None, "3: the body is not JSON")
    } else if let Some((key, why)) = binding_error(step) {
        expect(400, Some(key), &format!("4: {why}"))
    } else if !own_resource {
        expect(403, None, "5: another tenant's resource, or none")
    } else if let Some(key) = semantic {
        expect(400, Some(key), "6: a configuration rule is broken")
    } else {
        let mut e = expect(200, None, "7: valid and authorized");
        e.body = match step.op {
            Op::GetProvider => Some(shadow.providers[me].clone()),
            Op::GetOrganization => Some(shadow.organizations[me].clone()),
            _ => Some(json!({})),
        };
        e
    };
    if expected.status != 200 {
        effect = None;
    }
    Some(Planned {
        request,
        expected,
        effect,
    })
}

/// Step 4 of the order of checks: the key a binding failure is reported under.
fn binding_error(step: &Step) -> Option<(String, String)> {
    let name = step.op.query_parameter();
    Some(match &step.shape {
        Shape::MissingParameter | Shape::EmptyParameter => {
            (name, "the parameter is missing".into())
        }
        Shape::MalformedParameter(_) => (name, "the parameter is not a uuid".into()),
        Shape::EmptyBody => (String::new(), "the body is empty".into()),
        Shape::NotJson(_) | Shape::NotObject(_) => {
            ("$".into(), "the body is not a JSON object".into())
        }
        Shape::MissingMember(m) | Shape::NullMember(m) => {
            (m.clone(), "a required member is missing".into())
        }
        Shape::WrongType(m, _) => (format!("$.{m}"), "a member has the wrong JSON type".into()),
        _ => return None,
    })
}
