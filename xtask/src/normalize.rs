//! Turns a real-world OpenAPI 3.0 document into one progenitor 0.15 generates
//! from, or says precisely why it cannot.
//!
//! progenitor panics or fails on constructs that ASP.NET/Swashbuckle documents
//! use all the time (operations without an `operationId`, several media
//! types per body, typed error responses, `$ref` with siblings, among
//! others). Each step below removes
//! one of them without changing what the client can observe: the hand-written
//! face in `lupl-api` decodes every non-2xx status itself, so error responses
//! are dropped here rather than typed.

use openapiv3::{
    Components, MediaType, OpenAPI, Operation, Parameter, PathItem, ReferenceOr, RequestBody,
    Response, Schema, SchemaKind, StatusCode, Type,
};
use serde_json::Value;
use std::collections::BTreeSet;
use std::fmt;

/// Something in the document that normalization cannot turn into generator
/// input; `pointer` is the RFC 6901 JSON pointer of the offending node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// JSON pointer into the input document.
    pub pointer: String,
    /// What is wrong there, for a person.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.pointer, self.message)
    }
}

impl Problem {
    /// A problem at `pointer`.
    pub fn new(pointer: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            pointer: pointer.into(),
            message: message.into(),
        }
    }
}

/// Parses document text, first rewriting the JSON constructs that
/// `openapiv3` would silently lose (see [`lift_ref_siblings`]) and those that
/// would make typed round trips lossy (see [`untag_union_members`] and
/// [`keep_what_the_server_stores`]).
pub fn parse(text: &str) -> Result<OpenAPI, Vec<Problem>> {
    prepare(text).map(|prepared| prepared.spec)
}

/// A parsed document ready for the generator, and the discriminated unions
/// the generator leaves to the face pass.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// The document, before [`normalize`].
    pub spec: OpenAPI,
    /// Its named `oneOf`s with a `discriminator`.
    pub unions: Vec<Union>,
}

/// [`parse`], also returning the document's discriminated unions.
pub fn prepare(text: &str) -> Result<Prepared, Vec<Problem>> {
    let mut doc: Value = serde_json::from_str(text).map_err(|e| {
        vec![Problem::new(
            "",
            format!(
                "not a JSON document: {e} (line {}, column {})",
                e.line(),
                e.column()
            ),
        )]
    })?;
    lift_ref_siblings(&mut doc);
    let unions = discriminated_unions(&doc)?;
    untag_union_members(&mut doc, &unions);
    let clashes = keep_what_the_server_stores(&mut doc, "");
    if !clashes.is_empty() {
        return Err(clashes);
    }
    let spec = serde_json::from_value(doc).map_err(|e| {
        vec![Problem::new(
            "",
            format!("not an OpenAPI 3.0 document: {e}"),
        )]
    })?;
    Ok(Prepared { spec, unions })
}

/// Rewrites `{"$ref": R, "nullable": true, …}` into
/// `{"nullable": true, "allOf": [{"$ref": R}], …}`.
///
/// OpenAPI 3.0 ignores siblings of `$ref`, and `openapiv3` drops them while
/// parsing, yet generators such as NSwag and Swashbuckle emit them meaning
/// "this reference, or null". The `allOf` form is what progenitor turns into
/// an `Option<T>`.
pub fn lift_ref_siblings(doc: &mut Value) {
    match doc {
        Value::Object(map) => {
            let has_sibling = map.len() > 1 && map.contains_key("$ref");
            if has_sibling
                && map.get("nullable") == Some(&Value::Bool(true))
                && let Some(reference) = map.remove("$ref")
            {
                let mut inner = serde_json::Map::new();
                inner.insert("$ref".to_owned(), reference);
                map.insert("allOf".to_owned(), Value::Array(vec![Value::Object(inner)]));
            }
            map.values_mut().for_each(lift_ref_siblings);
        }
        Value::Array(items) => items.iter_mut().for_each(lift_ref_siblings),
        _ => {}
    }
}

/// A named `oneOf` with a `discriminator`, whose members are named schemas.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Union {
    /// The component schema's name (`ProviderAuthentication`).
    pub name: String,
    /// The discriminating property (`type`).
    pub property: String,
    /// The members, in the document's order.
    pub variants: Vec<Variant>,
    /// The schema's description.
    pub description: Option<String>,
}

/// One member of a [`Union`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Variant {
    /// The value of the discriminating property (`oauth2`).
    pub tag: String,
    /// The member's schema name (`OAuth2Authentication`).
    pub schema: String,
    /// Whether the member has properties besides the tag (and so a
    /// generated builder).
    pub has_properties: bool,
}

const SCHEMA_REF: &str = "#/components/schemas/";

/// Every `oneOf` with a `discriminator`, as [`Union`]s: each must be a
/// named schema whose members are `$ref`s to named schemas used nowhere
/// else, one tag each. Any other shape is a [`Problem`]: typify would make
/// it an untagged enum whose variants carry the tag as a field, which the
/// face does not offer.
pub fn discriminated_unions(doc: &Value) -> Result<Vec<Union>, Vec<Problem>> {
    let mut problems = Vec::new();
    let empty = serde_json::Map::new();
    let schemas = doc
        .pointer("/components/schemas")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    // A discriminator anywhere but on a named schema.
    discriminators_elsewhere(doc, "", &mut problems);
    let mut out = Vec::new();
    for (name, schema) in schemas {
        let Some(property) = schema
            .pointer("/discriminator/propertyName")
            .and_then(Value::as_str)
        else {
            continue;
        };
        let pointer = format!("/components/schemas/{}", lupl_spec::pointer::escape(name));
        let Some(members) = schema.get("oneOf").and_then(Value::as_array) else {
            problems.push(Problem::new(
                format!("{pointer}/discriminator"),
                "a discriminator needs a oneOf of named schemas beside it",
            ));
            continue;
        };
        // A mapping value is a reference or a bare schema name (OpenAPI 3.0).
        let mapping: Vec<(String, String)> = schema
            .pointer("/discriminator/mapping")
            .and_then(Value::as_object)
            .map(|m| {
                m.iter()
                    .filter_map(|(tag, r)| {
                        let r = r.as_str()?;
                        Some((
                            tag.clone(),
                            r.strip_prefix(SCHEMA_REF).unwrap_or(r).to_owned(),
                        ))
                    })
                    .collect()
            })
            .unwrap_or_default();
        let mut variants = Vec::new();
        for (i, m) in members.iter().enumerate() {
            let Some(member) = m
                .get("$ref")
                .and_then(Value::as_str)
                .and_then(|r| r.strip_prefix(SCHEMA_REF))
                .filter(|member| schemas.contains_key(*member))
            else {
                problems.push(Problem::new(
                    format!("{pointer}/oneOf/{i}"),
                    "each member of a oneOf with a discriminator must be a $ref to a named schema; move this one to components/schemas",
                ));
                continue;
            };
            let tags: Vec<&String> = mapping
                .iter()
                .filter(|(_, m)| m == member)
                .map(|(t, _)| t)
                .collect();
            if tags.len() > 1 {
                problems.push(Problem::new(
                    format!("{pointer}/discriminator/mapping"),
                    format!("{member} has {} tags; give each member one", tags.len()),
                ));
                continue;
            }
            let tag = tags
                .first()
                .map_or_else(|| member.to_owned(), |t| (*t).clone());
            let full = format!("{SCHEMA_REF}{member}");
            let uses = count_refs(doc, &full);
            // The oneOf's own $ref, and the mapping's if it is a reference.
            let in_mapping = schema
                .pointer("/discriminator/mapping")
                .and_then(Value::as_object)
                .map_or(0, |m| {
                    m.values().filter(|v| v.as_str() == Some(&full)).count()
                });
            let own = 1 + in_mapping;
            if uses > own {
                problems.push(Problem::new(
                    format!("/components/schemas/{}", lupl_spec::pointer::escape(member)),
                    format!(
                        "{member} is a member of the discriminated union {name} and is also used on its own; the union's members lose their `{property}` property to the union, so give the other use a schema of its own"
                    ),
                ));
                continue;
            }
            let has_properties = schemas[member]
                .get("properties")
                .and_then(Value::as_object)
                .is_some_and(|p| p.keys().any(|k| k != property));
            variants.push(Variant {
                tag,
                schema: member.to_owned(),
                has_properties,
            });
        }
        if !variants.is_empty() {
            out.push(Union {
                name: name.clone(),
                property: property.to_owned(),
                variants,
                description: schema
                    .get("description")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
            });
        }
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(problems)
    }
}

/// How often `reference` is a `$ref` (or a mapping value) in `doc`.
fn count_refs(doc: &Value, reference: &str) -> usize {
    match doc {
        Value::Object(map) => map
            .iter()
            .map(|(k, v)| match v {
                Value::String(s) if s == reference && (k == "$ref" || is_mapping_key(map)) => 1,
                other => count_refs(other, reference),
            })
            .sum(),
        Value::Array(items) => items.iter().map(|v| count_refs(v, reference)).sum(),
        _ => 0,
    }
}

/// A mapping object's values are references too; a mapping has no `$ref`,
/// `type` or `properties` of its own.
fn is_mapping_key(map: &serde_json::Map<String, Value>) -> bool {
    !map.contains_key("$ref") && !map.contains_key("type") && !map.contains_key("properties")
}

/// Refuses a `discriminator` that is not directly on a named schema.
fn discriminators_elsewhere(value: &Value, pointer: &str, problems: &mut Vec<Problem>) {
    let named = pointer.starts_with("/components/schemas/")
        && pointer["/components/schemas/".len()..].matches('/').count() == 0;
    match value {
        Value::Object(map) => {
            if map.contains_key("discriminator") && !named {
                problems.push(Problem::new(
                    format!("{pointer}/discriminator"),
                    "a oneOf with a discriminator must be a named schema (components/schemas) for the client to make it a tagged enum; move it there and $ref it",
                ));
            }
            for (k, v) in map {
                discriminators_elsewhere(
                    v,
                    &format!("{pointer}/{}", lupl_spec::pointer::escape(k)),
                    problems,
                );
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                discriminators_elsewhere(v, &format!("{pointer}/{i}"), problems);
            }
        }
        _ => {}
    }
}

/// Removes the discriminating property from each union member's schema.
///
/// The face pass makes every [`Union`] an internally tagged enum
/// (`#[serde(tag = "type")]`) over the members' generated structs: the enum
/// reads and writes the tag, so the structs must not carry it (a user would
/// otherwise fill `type_` by hand, and could fill it wrong). typify alone
/// makes an untagged enum of structs that each carry the tag.
pub fn untag_union_members(doc: &mut Value, unions: &[Union]) {
    for union in unions {
        for variant in &union.variants {
            let pointer = format!(
                "/components/schemas/{}",
                lupl_spec::pointer::escape(&variant.schema)
            );
            let Some(Value::Object(schema)) = doc.pointer_mut(&pointer) else {
                continue;
            };
            if let Some(Value::Object(properties)) = schema.get_mut("properties") {
                properties.remove(&union.property);
            }
            if let Some(Value::Array(required)) = schema.get_mut("required") {
                required.retain(|r| r.as_str() != Some(union.property.as_str()));
            }
        }
    }
}

/// Makes typed round trips exact: what a client decodes and encodes again
/// is what the server stored.
///
/// - An object with properties that admits other members (no
///   `additionalProperties`, or `true`) gets `additionalProperties: {}`, so
///   typify adds a flattened `extra` map that keeps them (it ignores unknown
///   members for `true`, and drops them).
/// - An optional property that is an array, or that has a `default`, becomes
///   nullable without the default, so it is an `Option`: absent stays absent
///   and `[]` or `false` stay as sent (typify would otherwise skip an empty
///   array and fill a default in).
pub fn keep_what_the_server_stores(doc: &mut Value, pointer: &str) -> Vec<Problem> {
    let mut problems = Vec::new();
    match doc {
        Value::Object(map) => {
            let has_properties = map
                .get("properties")
                .and_then(Value::as_object)
                .is_some_and(|p| !p.is_empty());
            if has_properties {
                match map.get("additionalProperties") {
                    None | Some(Value::Bool(true)) => {
                        // typify keeps unknown members in a field `extra`.
                        if map
                            .get("properties")
                            .is_some_and(|p| p.get("extra").is_some())
                        {
                            problems.push(Problem::new(
                                format!("{pointer}/properties/extra"),
                                "an object that admits unknown members keeps them in a field named `extra`, which this property would clash with; rename it or set additionalProperties: false",
                            ));
                        }
                        map.insert(
                            "additionalProperties".into(),
                            Value::Object(serde_json::Map::new()),
                        );
                    }
                    _ => {}
                }
                let required: BTreeSet<String> = map
                    .get("required")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect();
                if let Some(Value::Object(properties)) = map.get_mut("properties") {
                    for (name, property) in properties.iter_mut() {
                        let Value::Object(p) = property else { continue };
                        let array = p.get("type").and_then(Value::as_str) == Some("array");
                        if !required.contains(name) && (array || p.contains_key("default")) {
                            p.remove("default");
                            p.insert("nullable".into(), Value::Bool(true));
                        }
                    }
                }
            }
            for (k, v) in map.iter_mut() {
                let at = format!("{pointer}/{}", lupl_spec::pointer::escape(k));
                problems.extend(keep_what_the_server_stores(v, &at));
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter_mut().enumerate() {
                problems.extend(keep_what_the_server_stores(v, &format!("{pointer}/{i}")));
            }
        }
        _ => {}
    }
    problems
}

/// Normalizes a parsed document for progenitor. Pure: the same input always
/// gives the same output.
///
/// 1. only OpenAPI 3.0.x is accepted;
/// 2. an operation without an `operationId` gets one derived from its method
///    and path (`get /api/1.0/pms/providerconfig` → `get_api_1_0_pms_providerconfig`);
///    ids must be unique;
/// 3. path parameters are marked required (OpenAPI says they must be);
/// 4. a request body with several media types keeps only its JSON one, as
///    `application/json` (`text/json`, `application/*+json` and
///    `application/problem+json` count as JSON);
/// 5. every non-2xx and `default` response is dropped: the generated client
///    then hands them to the face undecoded, status and headers intact;
/// 6. success responses keep only JSON content, all of one schema; a success
///    body that can only be `{}` is dropped, so an empty body decodes too.
pub fn normalize(mut spec: OpenAPI) -> Result<OpenAPI, Vec<Problem>> {
    let mut problems = Vec::new();
    if !spec.openapi.trim().starts_with("3.0.") {
        problems.push(Problem::new(
            "/openapi",
            format!(
                "version {:?} is not supported; progenitor reads OpenAPI 3.0.x only",
                spec.openapi
            ),
        ));
        return Err(problems);
    }
    let components = spec.components.clone();
    let mut ids = BTreeSet::new();
    for (path, item) in spec.paths.paths.iter_mut() {
        let path_ptr = format!("/paths/{}", lupl_spec::pointer::escape(path));
        let item = match item {
            ReferenceOr::Item(item) => item,
            ReferenceOr::Reference { .. } => {
                problems.push(Problem::new(
                    path_ptr,
                    "a path item given by $ref is not supported; inline it",
                ));
                continue;
            }
        };
        require_path_parameters(&mut item.parameters);
        for (method, op) in operations_mut(item) {
            let ptr = format!("{path_ptr}/{method}");
            let id = op
                .operation_id
                .get_or_insert_with(|| derived_operation_id(method, path))
                .clone();
            if !ids.insert(id.clone()) {
                problems.push(Problem::new(
                    format!("{ptr}/operationId"),
                    format!("operationId {id:?} is used by more than one operation"),
                ));
            }
            require_path_parameters(&mut op.parameters);
            if let Err(p) = normalize_request_body(op, &components, &ptr) {
                problems.push(p);
            }
            problems.extend(normalize_responses(op, &components, &ptr));
        }
    }
    if problems.is_empty() {
        Ok(spec)
    } else {
        Err(problems)
    }
}

fn operations_mut(item: &mut PathItem) -> Vec<(&'static str, &mut Operation)> {
    [
        ("get", item.get.as_mut()),
        ("put", item.put.as_mut()),
        ("post", item.post.as_mut()),
        ("delete", item.delete.as_mut()),
        ("options", item.options.as_mut()),
        ("head", item.head.as_mut()),
        ("patch", item.patch.as_mut()),
        ("trace", item.trace.as_mut()),
    ]
    .into_iter()
    .filter_map(|(m, op)| op.map(|op| (m, op)))
    .collect()
}

/// `get` + `/api/1.0/orgs/{orgId}/users` → `get_api_1_0_orgs_by_orgId_users`.
pub fn derived_operation_id(method: &str, path: &str) -> String {
    let mut id = method.to_ascii_lowercase();
    for segment in path.split('/').filter(|s| !s.is_empty()) {
        id.push('_');
        let segment = match segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
            Some(param) => {
                id.push_str("by_");
                param
            }
            None => segment,
        };
        for c in segment.chars() {
            id.push(if c.is_ascii_alphanumeric() { c } else { '_' });
        }
    }
    id
}

fn require_path_parameters(params: &mut [ReferenceOr<Parameter>]) {
    for p in params {
        if let ReferenceOr::Item(Parameter::Path { parameter_data, .. }) = p {
            parameter_data.required = true;
        }
    }
}

pub use lupl_spec::is_json_media_type;

/// The content of a body reduced to its JSON media type (preferring
/// `application/json` itself), renamed `application/json`.
fn json_only(
    content: &indexmap::IndexMap<String, MediaType>,
) -> Option<indexmap::IndexMap<String, MediaType>> {
    let chosen = content
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("application/json"))
        .or_else(|| content.iter().find(|(k, _)| is_json_media_type(k)))?;
    let mut out = indexmap::IndexMap::new();
    out.insert("application/json".to_owned(), chosen.1.clone());
    Some(out)
}

fn normalize_request_body(
    op: &mut Operation,
    components: &Option<Components>,
    ptr: &str,
) -> Result<(), Problem> {
    let Some(body) = op.request_body.take() else {
        return Ok(());
    };
    let body_ptr = format!("{ptr}/requestBody");
    let mut body: RequestBody = match body {
        ReferenceOr::Item(b) => b,
        ReferenceOr::Reference { reference } => components
            .as_ref()
            .and_then(|c| {
                let name = reference.strip_prefix("#/components/requestBodies/")?;
                c.request_bodies.get(name)?.as_item().cloned()
            })
            .ok_or_else(|| {
                Problem::new(&body_ptr, format!("$ref {reference:?} does not resolve"))
            })?,
    };
    if let Some(json) = json_only(&body.content) {
        body.content = json;
    } else if body.content.len() > 1 {
        return Err(Problem::new(
            format!("{body_ptr}/content"),
            "several media types and none of them JSON; the generator takes one",
        ));
    }
    op.request_body = Some(ReferenceOr::Item(body));
    Ok(())
}

fn normalize_responses(
    op: &mut Operation,
    components: &Option<Components>,
    ptr: &str,
) -> Vec<Problem> {
    let mut problems = Vec::new();
    let responses_ptr = format!("{ptr}/responses");
    op.responses.default = None;
    op.responses
        .responses
        .retain(|status, _| matches!(status, StatusCode::Code(200..=299) | StatusCode::Range(2)));
    let mut schemas = Vec::new();
    for (status, response) in op.responses.responses.iter_mut() {
        let response_ptr = format!("{responses_ptr}/{status}");
        let mut resolved: Response = match response {
            ReferenceOr::Item(r) => r.clone(),
            ReferenceOr::Reference { reference } => {
                let found = components.as_ref().and_then(|c| {
                    let name = reference.strip_prefix("#/components/responses/")?;
                    c.responses.get(name)?.as_item().cloned()
                });
                match found {
                    Some(r) => r,
                    None => {
                        problems.push(Problem::new(
                            response_ptr,
                            format!("$ref {reference:?} does not resolve"),
                        ));
                        continue;
                    }
                }
            }
        };
        if let Some(json) = json_only(&resolved.content) {
            resolved.content = json;
        } else if resolved.content.len() > 1 {
            problems.push(Problem::new(
                format!("{response_ptr}/content"),
                "several media types and none of them JSON; the generator takes one",
            ));
        }
        let schema = resolved
            .content
            .get("application/json")
            .and_then(|m| m.schema.as_ref());
        if schema.is_some_and(|s| is_empty_object(s, components)) {
            resolved.content.clear();
        }
        schemas.push((
            response_ptr,
            resolved.content.values().next().map(|m| m.schema.clone()),
        ));
        *response = ReferenceOr::Item(resolved);
    }
    if let Some((_, first)) = schemas.first()
        && let Some((other_ptr, _)) = schemas.iter().find(|(_, s)| s != first)
    {
        problems.push(Problem::new(
            other_ptr.clone(),
            "success responses of one operation have different bodies; the generator takes one success type",
        ));
    }
    problems
}

/// A schema that admits exactly the empty object.
fn is_empty_object(schema: &ReferenceOr<Schema>, components: &Option<Components>) -> bool {
    let schema = match schema {
        ReferenceOr::Item(s) => s,
        ReferenceOr::Reference { reference } => {
            let found = components.as_ref().and_then(|c| {
                c.schemas
                    .get(reference.strip_prefix("#/components/schemas/")?)?
                    .as_item()
            });
            match found {
                Some(s) => s,
                None => return false,
            }
        }
    };
    match &schema.schema_kind {
        SchemaKind::Type(Type::Object(o)) => {
            o.properties.is_empty()
                && (o.max_properties == Some(0)
                    || matches!(
                        o.additional_properties,
                        Some(openapiv3::AdditionalProperties::Any(false))
                    ))
        }
        _ => false,
    }
}
