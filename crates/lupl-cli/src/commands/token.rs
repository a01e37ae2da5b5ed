//! `lupl token`: a fresh access token for the settings' credentials.

use crate::context::Context;
use crate::failure::Failure;
use crate::output::Done;
use lupl_auth::ClientBuilder;

/// `lupl token`: the access token the settings' credentials get, printed
/// as it is (never the client secret).
pub(super) async fn token(ctx: &Context) -> Result<Done, Failure> {
    let resolved = ctx.settings.resolve_with(&*ctx.env)?;
    let built = ClientBuilder::from_settings(resolved.settings)
        .rate_limit(resolved.rate_limit)
        .build_parts()?;
    let token = built.tokens.token().await?;
    Ok(Done::text(
        lupl_auth::tokens::ExposeSecret::expose_secret(token.secret()).to_owned(),
    ))
}
