//! Shareable coupon URLs (SPEC 7): `{base}/{store}?coupon={CODE}`.

/// `{base}/{store_slug}?coupon={code}`, the code percent-encoded.
pub fn share_url(base: &str, store_slug: &str, code: &str) -> String {
    let code: String = url::form_urlencoded::byte_serialize(code.as_bytes()).collect();
    format!("{base}/{store_slug}?coupon={code}")
}

/// The base of shareable URLs: the store's own, or the server's.
pub fn base_url(store_base: Option<&str>, server_base: &str) -> String {
    store_base
        .unwrap_or(server_base)
        .trim_end_matches('/')
        .to_string()
}
