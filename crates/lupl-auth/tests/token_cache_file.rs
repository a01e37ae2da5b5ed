//! The token cache file is written through a new file of its own: a link
//! left where a fixed temporary name would be is never followed.
#![cfg(unix)]

use lupl_auth::SecretString;
use lupl_auth::tokens::{CachedToken, TokenCache};

#[test]
fn a_link_beside_the_cache_is_never_written_through() {
    let dir = tempfile::tempdir().expect("dir");
    let victim = dir.path().join("victim.txt");
    std::fs::write(&victim, "keep me\n").expect("victim");
    let cache = TokenCache::new(dir.path().join("tokens.json"));
    // The name the cache once wrote through, and any other it might pick.
    std::os::unix::fs::symlink(&victim, dir.path().join("tokens.tmp")).expect("link");
    let token = CachedToken {
        access_token: SecretString::from("tok-cached"),
        expires_at: None,
        refresh_token: None,
    };
    cache.store("key", &token).expect("stored");
    assert_eq!(
        std::fs::read_to_string(&victim).expect("victim"),
        "keep me\n"
    );
    let stored = std::fs::symlink_metadata(cache.path()).expect("cache");
    assert!(
        stored.file_type().is_file(),
        "the cache is a file of its own"
    );
    assert!(cache.load("key").is_some());
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .expect("dir")
        .filter_map(|e| e.ok().map(|e| e.file_name()))
        .collect();
    assert_eq!(left.len(), 3, "no temporary file left: {left:?}");
}
