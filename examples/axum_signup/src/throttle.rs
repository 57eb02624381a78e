//! How fast the admin password can be tried, so that guessing stays slow and no outsider can
//! lock the real admin out. The scheme is OWASP's "device cookies"
//! (<https://owasp.org/www-community/Slow_Down_Online_Guessing_Attacks_with_Device_Cookies>):
//!
//! - A browser that signed in before holds a **device cookie** (a random ID this service
//!   remembers). Its attempts count against a budget of its own, 10 a minute, which nobody
//!   else can spend. After 10 wrong passwords in a row the device is no longer trusted.
//! - Every other attempt waits out a **back-off per client address**: after the third wrong
//!   password from an address in a row, 2 s, then 4 s, 8 s … up to 15 minutes, reset by a
//!   right one. And all of them together share the budget the service always had, **10 a
//!   minute**: spreading guesses over many addresses is no faster than before.
//!
//! So an attacker guesses at most 10 passwords a minute, however many addresses they hold,
//! while the admin's own browser signs in whatever they do. (On a new browser, the admin waits
//! like everyone else.) Devices and back-offs live in this process: a restart forgets them.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::Duration as StdDuration;

use admit::Error;
use admit::store::{AnyStore, AttemptLimiter as _, RateLimit};
use time::{Duration, OffsetDateTime};

/// The device cookie's name.
pub const DEVICE_COOKIE: &str = "admit_device";
/// Attempts a minute: per trusted device, and for all untrusted clients together.
const PER_MINUTE: u32 = 10;
/// Wrong passwords in a row after which a device is no longer trusted.
const DEVICE_FAILURES: u32 = 10;
/// Wrong passwords in a row an address may make before it must wait.
const FREE_FAILURES: u32 = 3;
/// The longest wait.
const MAX_WAIT: Duration = Duration::minutes(15);
/// Addresses remembered at most (the oldest waits are dropped first beyond it).
const MAX_ADDRESSES: usize = 100_000;

/// Why an attempt may not go ahead now.
#[derive(Debug, PartialEq, Eq)]
pub enum Refusal {
    /// Wait this long (the address's back-off, or a full budget).
    Wait(StdDuration),
    /// The store could not count the attempt.
    Unavailable,
}

#[derive(Default)]
struct Backoff {
    failures: u32,
    until: Option<OffsetDateTime>,
}

/// The sign-in throttle of one service.
#[derive(Default)]
pub struct Throttle {
    devices: Mutex<HashMap<String, u32>>,
    addresses: Mutex<HashMap<IpAddr, Backoff>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn seconds(d: Duration) -> StdDuration {
    StdDuration::try_from(d).unwrap_or(StdDuration::from_secs(1))
}

impl Throttle {
    /// Whether `device` is a device cookie this service gave out and still trusts.
    pub fn trusts(&self, device: Option<&str>) -> bool {
        device.is_some_and(|d| lock(&self.devices).contains_key(d))
    }

    /// Counts an attempt before the password is compared: from a trusted device against its
    /// own budget; otherwise after the address's back-off, against the shared budget.
    pub async fn admit(
        &self,
        store: &AnyStore,
        device: Option<&str>,
        address: IpAddr,
        now: OffsetDateTime,
    ) -> Result<(), Refusal> {
        let bucket = match device.filter(|d| self.trusts(Some(d))) {
            Some(device) => format!("admin-login:device:{device}"),
            None => {
                if let Some(until) = lock(&self.addresses).get(&address).and_then(|b| b.until)
                    && until > now
                {
                    return Err(Refusal::Wait(seconds(until - now)));
                }
                "admin-login:untrusted".to_owned()
            }
        };
        match store
            .count_attempt(&bucket, &RateLimit::per_minute(PER_MINUTE))
            .await
        {
            Ok(_) => Ok(()),
            Err(Error::RateLimited { retry_after }) => Err(Refusal::Wait(retry_after)),
            Err(_) => Err(Refusal::Unavailable),
        }
    }

    /// A wrong password: the address backs off; a device loses its trust after
    /// [`DEVICE_FAILURES`] in a row.
    pub fn failed(&self, device: Option<&str>, address: IpAddr, now: OffsetDateTime) {
        if let Some(device) = device {
            let mut devices = lock(&self.devices);
            if let Some(failures) = devices.get_mut(device) {
                *failures += 1;
                if *failures >= DEVICE_FAILURES {
                    devices.remove(device);
                }
                return;
            }
        }
        let mut addresses = lock(&self.addresses);
        if addresses.len() >= MAX_ADDRESSES {
            addresses.retain(|_, b| b.until.is_some_and(|u| u > now));
        }
        let backoff = addresses.entry(address).or_default();
        backoff.failures = backoff.failures.saturating_add(1);
        if backoff.failures >= FREE_FAILURES {
            let doublings = (backoff.failures - FREE_FAILURES + 1).min(20);
            let wait = Duration::seconds(1_i64 << doublings).min(MAX_WAIT);
            backoff.until = Some(now + wait);
        }
    }

    /// The right password: the address's back-off ends, and the browser becomes (or stays) a
    /// trusted device. Returns the device ID to set as its cookie.
    pub fn succeeded(&self, device: Option<&str>, address: IpAddr, new_id: String) -> String {
        lock(&self.addresses).remove(&address);
        let mut devices = lock(&self.devices);
        match device.filter(|d| devices.contains_key(*d)) {
            Some(device) => {
                devices.insert(device.to_owned(), 0);
                device.to_owned()
            }
            None => {
                devices.insert(new_id.clone(), 0);
                new_id
            }
        }
    }

    /// The devices trusted now (for tests).
    pub fn device_count(&self) -> usize {
        lock(&self.devices).len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: i64) -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(1_800_000_000 + s).unwrap()
    }

    #[tokio::test]
    async fn an_address_backs_off_after_three_wrong_passwords_and_a_right_one_clears_it() {
        let store = AnyStore::Memory(admit::store::MemoryStore::new());
        let throttle = Throttle::default();
        let ip: IpAddr = "203.0.113.7".parse().unwrap();
        for _ in 0..2 {
            throttle.admit(&store, None, ip, at(0)).await.unwrap();
            throttle.failed(None, ip, at(0));
        }
        throttle.admit(&store, None, ip, at(0)).await.unwrap();
        throttle.failed(None, ip, at(0));
        assert_eq!(
            throttle.admit(&store, None, ip, at(1)).await,
            Err(Refusal::Wait(StdDuration::from_secs(1)))
        );
        throttle.admit(&store, None, ip, at(2)).await.unwrap();
        throttle.failed(None, ip, at(2));
        // The fourth wrong one doubles the wait.
        assert_eq!(
            throttle.admit(&store, None, ip, at(2)).await,
            Err(Refusal::Wait(StdDuration::from_secs(4)))
        );
        // Another address is not affected.
        let other: IpAddr = "198.51.100.1".parse().unwrap();
        throttle.admit(&store, None, other, at(2)).await.unwrap();
        let device = throttle.succeeded(None, ip, "d1".to_owned());
        assert_eq!(device, "d1");
        throttle.admit(&store, None, ip, at(2)).await.unwrap();
        assert!(throttle.trusts(Some("d1")));
    }

    #[test]
    fn waits_stop_growing_at_fifteen_minutes() {
        let throttle = Throttle::default();
        let ip: IpAddr = "203.0.113.7".parse().unwrap();
        for _ in 0..100 {
            throttle.failed(None, ip, at(0));
        }
        let until = lock(&throttle.addresses)[&ip].until.unwrap();
        assert_eq!(until - at(0), MAX_WAIT);
    }

    #[test]
    fn a_device_loses_its_trust_after_ten_wrong_passwords() {
        let throttle = Throttle::default();
        let ip: IpAddr = "203.0.113.7".parse().unwrap();
        let device = throttle.succeeded(None, ip, "d1".to_owned());
        for _ in 0..9 {
            throttle.failed(Some(&device), ip, at(0));
        }
        assert!(throttle.trusts(Some(&device)));
        throttle.failed(Some(&device), ip, at(0));
        assert!(!throttle.trusts(Some(&device)));
    }
}
