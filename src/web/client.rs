//! Who is asking, as far as throttling goes: the client's IP address, and
//! the per-client limits of SPEC section 12 ("Guessing").

use std::net::IpAddr;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use actix_web::HttpRequest;

use crate::domain::throttle::Window;
use crate::error::AppError;

/// Unknown codes count for this long.
pub const GUESS_WINDOW: Duration = Duration::from_secs(10 * 60);
/// Refused checkouts stored per client and minute; past it the refusal is
/// still shown but not kept, so no client can grow the database.
pub const REFUSALS_KEPT_PER_MINUTE: usize = 30;

/// The client's address: the TCP peer, or, when the peer is the trusted
/// proxy, the last address that proxy added to `X-Forwarded-For`.
pub fn address(req: &HttpRequest, trusted_proxy: Option<IpAddr>) -> Option<IpAddr> {
    let peer = req.peer_addr()?.ip();
    if trusted_proxy != Some(peer) {
        return Some(peer);
    }
    let forwarded = req
        .headers()
        .get_all("x-forwarded-for")
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|a| a.trim().parse::<IpAddr>().ok())
        .next_back();
    Some(forwarded.unwrap_or(peer))
}

/// The per-process counters of anonymous clients' misses.
#[derive(Debug)]
pub struct Guards {
    guesses: Mutex<Window<(String, IpAddr)>>,
    refusals: Mutex<Window<IpAddr>>,
    /// Unknown codes per API key (`/validations`, `/redemptions`).
    api_guesses: Mutex<Window<i64>>,
    /// Refused API redemptions kept per key and minute.
    api_refusals: Mutex<Window<i64>>,
}

impl Guards {
    pub fn new(guess_limit: usize) -> Guards {
        Guards {
            guesses: Mutex::new(Window::new(guess_limit, GUESS_WINDOW)),
            refusals: Mutex::new(Window::new(
                REFUSALS_KEPT_PER_MINUTE,
                Duration::from_secs(60),
            )),
            api_guesses: Mutex::new(Window::new(guess_limit, GUESS_WINDOW)),
            api_refusals: Mutex::new(Window::new(
                REFUSALS_KEPT_PER_MINUTE,
                Duration::from_secs(60),
            )),
        }
    }

    /// 429 `too_many_attempts` when this client has typed too many unknown
    /// codes at this store lately; checked before a code is looked up.
    pub fn check_guesses(&self, store: &str, client: Option<IpAddr>) -> Result<(), AppError> {
        let Some(client) = client else {
            return Ok(());
        };
        let key = (store.to_string(), client);
        let wait = self
            .guesses
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .blocked(&key, Instant::now());
        match wait {
            None => Ok(()),
            Some(wait) => {
                let minutes = wait.as_secs().div_ceil(60).max(1);
                Err(AppError::TooManyAttempts(format!(
                    "Too many unknown codes were tried from your network. For the store's security, codes are paused: try again in {minutes} minute{}.",
                    if minutes == 1 { "" } else { "s" }
                )))
            }
        }
    }

    /// Counts an unknown code typed by this client at this store.
    pub fn unknown_code(&self, store: &str, client: Option<IpAddr>) {
        if let Some(client) = client {
            self.guesses
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .record((store.to_string(), client), Instant::now());
        }
    }

    /// May a refused checkout of this client be stored? Counts it if so.
    pub fn keep_refusal(&self, client: Option<IpAddr>) -> bool {
        let Some(client) = client else {
            return true;
        };
        self.refusals
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .record(client, Instant::now())
    }

    /// How long API key `key` must wait after too many unknown codes, if
    /// it must (SPEC 12 "Guessing", per key).
    pub fn api_guess_wait(&self, key: i64) -> Option<Duration> {
        self.api_guesses
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .blocked(&key, Instant::now())
    }

    /// Counts an unknown code sent with API key `key`.
    pub fn api_unknown_code(&self, key: i64) {
        self.api_guesses
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .record(key, Instant::now());
    }

    /// May a refused redemption of API key `key` be stored? Counts it if so.
    pub fn keep_api_refusal(&self, key: i64) -> bool {
        self.api_refusals
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .record(key, Instant::now())
    }
}
