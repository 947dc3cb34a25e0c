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

/// The most products a share URL pre-fills.
pub const MAX_CART_LINES: usize = 20;

/// The cart a share URL pre-fills, from `quantity_{id}` pairs: each
/// product once (its first quantity), quantities from 1 to the checkout's
/// maximum; anything else is left out.
pub fn cart_of(pairs: &[(String, String)]) -> Vec<(i64, i64)> {
    let mut cart: Vec<(i64, i64)> = Vec::new();
    for (key, value) in pairs {
        let Some(id) = key
            .strip_prefix("quantity_")
            .and_then(|id| id.parse::<i64>().ok())
            .filter(|id| *id > 0)
        else {
            continue;
        };
        let Some(quantity) = value
            .trim()
            .parse::<i64>()
            .ok()
            .filter(|q| (1..=crate::domain::checkout::MAX_QUANTITY).contains(q))
        else {
            continue;
        };
        if cart.len() < MAX_CART_LINES && !cart.iter().any(|(p, _)| *p == id) {
            cart.push((id, quantity));
        }
    }
    cart
}

/// The cart as a query: `quantity_3=2&quantity_7=1` (empty for none).
pub fn cart_query(cart: &[(i64, i64)]) -> String {
    cart.iter()
        .map(|(id, n)| format!("quantity_{id}={n}"))
        .collect::<Vec<_>>()
        .join("&")
}

/// A share URL that also fills the checkout's cart (the checkout reads
/// `quantity_{id}` from its URL).
pub fn with_cart(url: &str, cart: &[(i64, i64)]) -> String {
    match cart_query(cart) {
        q if q.is_empty() => url.to_string(),
        q => format!("{url}&{q}"),
    }
}

#[cfg(test)]
mod cart_tests {
    use super::*;

    fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
        p.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn a_cart_keeps_whole_quantities_of_real_ids_once() {
        let cart = cart_of(&pairs(&[
            ("quantity_3", "2"),
            ("quantity_7", " 1 "),
            ("quantity_3", "5"),
            ("quantity_8", "0"),
            ("quantity_9", "1000"),
            ("quantity_x", "1"),
            ("quantity_-1", "1"),
            ("quantity_4", "1.5"),
            ("coupon", "SUMMER"),
        ]));
        assert_eq!(cart, [(3, 2), (7, 1)]);
        let url = share_url("https://shop.example", "mystore", "SUMMER10");
        assert_eq!(
            with_cart(&url, &cart),
            "https://shop.example/mystore?coupon=SUMMER10&quantity_3=2&quantity_7=1"
        );
        assert_eq!(with_cart(&url, &[]), url);
        let many: Vec<(String, String)> = (1..=30)
            .map(|i| (format!("quantity_{i}"), "1".into()))
            .collect();
        assert_eq!(cart_of(&many).len(), MAX_CART_LINES);
    }
}
