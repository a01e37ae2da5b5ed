//! README "Authentication, limits and retries": a client tuned beyond the
//! defaults — a lower rate limit, more retries, tokens kept across runs,
//! and a word when the API turns out to allow less than the limit:
//!
//! ```text
//! LUPL_BASE_URL=http://127.0.0.1:8080 LUPL_TOKEN=tok-acme \
//!     cargo run -p lupl --example tuning
//! ```
// README:begin
use lupl::auth::limits::{Quota, RetryPolicy};
use lupl::auth::tokens::TokenCache;
#[tokio::main]
async fn main() -> Result<(), lupl::Error> {
    let patient = RetryPolicy {
        max_retries: 5, // 3 by default
        ..RetryPolicy::default()
    };
    let tokens = TokenCache::default_path().unwrap_or("lupl-tokens.json".into());
    let client = lupl::ClientBuilder::from_env()?
        .rate_limit(Quota::new(500, 60)) // half of Lupl's 1000/60: a second tool shares the token
        .retry(patient)
        .token_cache(TokenCache::new(tokens)) // file mode 0600, reused by the next run
        .on_limit_learned(|quota| eprintln!("the API allows about {quota}"))
        .build()?;
    let pms_id = lupl::uuid::uuid!("4efafdc0-2783-4af6-9cac-d2b2be27a080");
    let stored = client.get_provider_config().pms_id(pms_id).send().await?;
    println!("configured: {}", stored.is_some());
    Ok(())
}
// README:end
