//! Per-key rate limits (SPEC 10): `API_RATE_LIMIT` requests a second with
//! a burst of twice that, per bearer token (GCRA, `governor`). Every answer
//! says `RateLimit-Limit`, `RateLimit-Remaining` and `RateLimit-Reset`;
//! past the limit, 429 with `Retry-After`, before any database work.

use std::num::NonZeroU32;
use std::sync::Arc;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{ResponseError, web};
use governor::clock::{Clock, DefaultClock};
use governor::middleware::StateInformationMiddleware;
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{Quota, RateLimiter};

use super::ApiError;

type Limiter =
    RateLimiter<String, DefaultKeyedStateStore<String>, DefaultClock, StateInformationMiddleware>;

/// The limiter of every API key, shared by the server's workers.
#[derive(Clone)]
pub struct ApiLimits {
    limiter: Arc<Limiter>,
    per_second: u32,
}

impl ApiLimits {
    /// `per_second` requests a second, bursts up to twice that.
    pub fn new(per_second: u32) -> ApiLimits {
        let rate = NonZeroU32::new(per_second.max(1)).unwrap_or(NonZeroU32::MIN);
        let burst = NonZeroU32::new(per_second.max(1).saturating_mul(2)).unwrap_or(rate);
        let quota = Quota::per_second(rate).allow_burst(burst);
        ApiLimits {
            limiter: Arc::new(
                RateLimiter::keyed(quota).with_middleware::<StateInformationMiddleware>(),
            ),
            per_second: rate.get(),
        }
    }

    /// Forgets idle keys (their buckets are full again anyway).
    pub fn shrink(&self) {
        self.limiter.retain_recent();
        self.limiter.shrink_to_fit();
    }
}

fn header(value: impl ToString) -> Option<HeaderValue> {
    HeaderValue::from_str(&value.to_string()).ok()
}

static SHRINK_TICK: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

/// The middleware of the `/api/v1` scope.
pub async fn limit(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let limits = req
        .app_data::<web::Data<ApiLimits>>()
        .map(|l| l.get_ref().clone());
    let token = super::bearer(req.request()).map(crate::app::api_keys::hash);
    let (Some(limits), Some(token)) = (limits, token) else {
        // No key: the extractor answers 401; the discovery document is
        // public.
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_boxed_body);
    };
    let limit = limits.per_second;
    // Now and then, forget idle keys (their buckets are full again).
    if SHRINK_TICK
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        .is_multiple_of(10_000)
    {
        limits.shrink();
    }
    match limits.limiter.check_key(&token) {
        Ok(snapshot) => {
            let remaining = snapshot.remaining_burst_capacity();
            let mut response = next.call(req).await?.map_into_boxed_body();
            let headers = response.headers_mut();
            for (name, value) in [
                ("ratelimit-limit", header(limit)),
                ("ratelimit-remaining", header(remaining)),
                ("ratelimit-reset", header(1)),
            ] {
                if let Some(value) = value {
                    headers.insert(HeaderName::from_static(name), value);
                }
            }
            Ok(response)
        }
        Err(not_until) => {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            let retry_after = wait.as_secs_f64().ceil().max(1.0) as u64;
            let error = ApiError::RateLimited {
                code: "rate_limited",
                message: format!(
                    "Too many requests with this key: at most {limit} a second. Retry after {retry_after} s."
                ),
                retry_after,
            };
            let mut response = error.error_response();
            let headers = response.headers_mut();
            for (name, value) in [
                ("ratelimit-limit", header(limit)),
                ("ratelimit-remaining", header(0)),
                ("ratelimit-reset", header(retry_after)),
            ] {
                if let Some(value) = value {
                    headers.insert(HeaderName::from_static(name), value);
                }
            }
            Ok(req.into_response(response))
        }
    }
}
