//! README "An organization, and the answers to handle": store an
//! organization's fields, read them back, and handle the API's refusals.
//!
//! ```text
//! cargo run -p lupl-model --bin lupl-sandbox &     # prints its URL and tokens
//! LUPL_BASE_URL=http://127.0.0.1:8080 LUPL_TOKEN=tok-acme \
//!     cargo run -p lupl --example organization
//! ```
// README:begin
use lupl::types::{OrganizationFields, SetOrganizationConfigRequest as Body};
use lupl::{Error, serde_json::json, uuid::uuid};
#[tokio::main]
async fn main() -> Result<(), Error> {
    let client = lupl::ClientBuilder::from_env()?.build()?;
    let org = uuid!("3fa85f64-5717-4562-b3fc-2c963f66afa6");
    let pms = uuid!("4efafdc0-2783-4af6-9cac-d2b2be27a080");
    let fields = json!({"region": "eu", "firmCode": "ACM001"})
        .as_object()
        .cloned()
        .unwrap_or_default();
    let body = Body::builder()
        .organization_id(org)
        .pms_id(pms)
        .fields(OrganizationFields(fields));
    match client.set_organization_config().body(body).send().await {
        Ok(_) => println!("stored"),
        Err(Error::BadRequest { errors, trace_id }) => {
            eprintln!("refused ({trace_id:?}): {errors:?}")
        }
        Err(Error::Forbidden) => eprintln!("not an organization you manage"),
        Err(Error::TooManyRequests { retry_after }) => {
            eprintln!("quota used up after the retries; {retry_after:?}")
        }
        Err(e) => return Err(e),
    }
    let stored = client
        .get_organization_config()
        .organization_id(org)
        .send()
        .await?;
    println!("{}", stored.map(|c| c.fields.0).unwrap_or_default().len());
    Ok(())
}
// README:end
