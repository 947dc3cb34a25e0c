//! Webhook rules (SPEC 11): the event types, the endpoint form, the
//! signature and the retry schedule. No I/O.

use std::net::IpAddr;

use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::form_errors::FormErrors;

/// Every event type, in the SPEC's order.
pub const EVENT_TYPES: &[&str] = &[
    "coupon.created",
    "coupon.updated",
    "coupon.archived",
    "coupon.unarchived",
    "coupon.deleted",
    "coupon.exhausted",
    "promotion_code.created",
    "promotion_code.updated",
    "promotion_code.deleted",
    "promotion_code.exhausted",
    "coupon_set.created",
    "coupon_set.generated",
    "coupon_set.deleted",
    "redemption.succeeded",
    "redemption.rolled_back",
    "code.paused",
];

/// How long a delivery is retried before it is marked failed.
pub const RETRY_FOR: chrono::Duration = chrono::Duration::hours(24);

/// Does an endpoint that asked for `events` (space-separated, empty = all)
/// want `event`?
pub fn wants(events: &str, event: &str) -> bool {
    events.trim().is_empty() || events.split_whitespace().any(|e| e == event)
}

/// The endpoint form.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct EndpointInput {
    pub url: String,
    /// Repeated; empty means every event.
    pub events: Vec<String>,
}

/// A checked endpoint: its URL and its events as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointDraft {
    pub url: String,
    pub events: String,
}

/// Checks the endpoint form: an http(s) URL with a host, at most 2,000
/// characters, and known event types.
pub fn check(input: &EndpointInput) -> Result<EndpointDraft, FormErrors> {
    let mut errors = FormErrors::default();
    let raw = input.url.trim();
    match url::Url::parse(raw) {
        _ if raw.is_empty() => errors.add("url", "Enter the URL that receives the events."),
        _ if raw.len() > 2000 => errors.add("url", "Use a URL of at most 2,000 characters."),
        Ok(u) if !matches!(u.scheme(), "http" | "https") => {
            errors.add("url", "Use an http:// or https:// URL.")
        }
        Ok(u) if u.host_str().is_none_or(str::is_empty) => errors.add(
            "url",
            "The URL needs a host, e.g. https://shop.example/hooks.",
        ),
        Ok(u) if !u.username().is_empty() || u.password().is_some() => errors.add(
            "url",
            "Leave the user name and password out of the URL: requests are signed instead.",
        ),
        Ok(_) => {}
        Err(_) => errors.add(
            "url",
            "This is not a URL: write it like https://shop.example/hooks.",
        ),
    }
    let mut events: Vec<&str> = Vec::new();
    for e in &input.events {
        let e = e.trim();
        if e.is_empty() {
            continue;
        }
        if !EVENT_TYPES.contains(&e) {
            errors.add("events", format!("“{e}” is not an event type."));
        } else if !events.contains(&e) {
            events.push(e);
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    // In the SPEC's order, whatever order the form sent.
    events.sort_by_key(|e| EVENT_TYPES.iter().position(|t| t == e));
    Ok(EndpointDraft {
        url: raw.to_string(),
        events: events.join(" "),
    })
}

/// `Promodesk-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret,
/// "<t>.<body>")>`.
pub fn signature(secret: &str, unix_seconds: i64, body: &str) -> String {
    // HMAC takes a key of any length: this cannot fail.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC accepts every key length"));
    mac.update(unix_seconds.to_string().as_bytes());
    mac.update(b".");
    mac.update(body.as_bytes());
    format!(
        "t={unix_seconds},v1={}",
        hex::encode(mac.finalize().into_bytes())
    )
}

/// The wait before try `attempt + 1`, after `attempt` failed tries: `base`,
/// then three times longer each time, at most 4 hours.
pub fn retry_delay(attempt: i64, base: std::time::Duration) -> chrono::Duration {
    let base = chrono::Duration::from_std(base).unwrap_or(chrono::Duration::seconds(10));
    let factor = 3i32.saturating_pow(attempt.clamp(1, 12) as u32 - 1);
    (base * factor).min(chrono::Duration::hours(4))
}

/// Is `ip` one a webhook may not reach unless private targets are allowed:
/// loopback, private ranges, link-local, unspecified, multicast, shared
/// address space (100.64/10), unique-local IPv6?
pub fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_multicast()
                || v4.is_broadcast()
                || o[0] == 0
                || (o[0] == 100 && (64..128).contains(&o[1]))
        }
        IpAddr::V6(v6) => {
            let s = v6.segments();
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (s[0] & 0xfe00) == 0xfc00
                || (s[0] & 0xffc0) == 0xfe80
                || v6
                    .to_ipv4_mapped()
                    .is_some_and(|v4| is_private(IpAddr::V4(v4)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_is_hmac_sha256_of_time_dot_body() {
        // Python: hmac.new(b"secret", b"1700000000.{}", "sha256").hexdigest()
        assert_eq!(
            signature("secret", 1_700_000_000, "{}"),
            "t=1700000000,v1=b8569b78799ff9e3cbff0fc2d63a33a2b57f3282abd07c37ae5e8e7d79a5f163"
        );
        assert_ne!(signature("secret", 1, "{}"), signature("secret", 2, "{}"));
        assert_ne!(signature("a", 1, "{}"), signature("b", 1, "{}"));
    }

    #[test]
    fn endpoints_take_http_urls_and_known_events() {
        let ok = check(&EndpointInput {
            url: " https://shop.example/hooks ".into(),
            events: vec!["redemption.succeeded".into(), "coupon.created".into()],
        });
        assert_eq!(
            ok.ok(),
            Some(EndpointDraft {
                url: "https://shop.example/hooks".into(),
                events: "coupon.created redemption.succeeded".into()
            })
        );
        for bad in [
            "",
            "ftp://x.example/",
            "not a url",
            "https://u:p@x.example/",
        ] {
            let e = check(&EndpointInput {
                url: bad.into(),
                events: vec![],
            });
            assert!(e.is_err(), "{bad}");
        }
        let e = check(&EndpointInput {
            url: "https://x.example/".into(),
            events: vec!["coupon.eaten".into()],
        });
        assert!(e.is_err());
    }

    #[test]
    fn wants_matches_listed_events_or_all() {
        assert!(wants("", "coupon.created"));
        assert!(wants(
            "coupon.created redemption.succeeded",
            "redemption.succeeded"
        ));
        assert!(!wants("coupon.created", "coupon.updated"));
    }

    #[test]
    fn delays_grow_and_are_capped() {
        let base = std::time::Duration::from_secs(10);
        assert_eq!(retry_delay(1, base), chrono::Duration::seconds(10));
        assert_eq!(retry_delay(2, base), chrono::Duration::seconds(30));
        assert_eq!(retry_delay(3, base), chrono::Duration::seconds(90));
        assert_eq!(retry_delay(30, base), chrono::Duration::hours(4));
    }

    #[test]
    fn private_targets_are_recognised() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "192.168.0.1",
            "172.16.0.1",
            "169.254.1.1",
            "0.0.0.0",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "100.64.0.1",
        ] {
            assert!(is_private(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["93.184.216.34", "2606:2800:220:1::1", "8.8.8.8"] {
            assert!(!is_private(ip.parse().unwrap()), "{ip}");
        }
    }
}
