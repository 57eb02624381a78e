//! Where a webhook may be delivered: `http` or `https` URLs whose host does not resolve to a
//! loopback, private, link-local or otherwise internal address, unless the application allows
//! those explicitly. Checked when the sender is built and again on every connection (the
//! sender's resolver refuses such addresses), so DNS cannot be turned against internal
//! services later.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

use crate::error::Error;

/// Whether an address is internal: loopback, private, link-local, unique-local, shared
/// (carrier-grade NAT), unspecified, broadcast, multicast, documentation, or an IPv4 address
/// mapped into IPv6 that is one of those.
pub(crate) fn is_internal(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                || a == 0
                || (a == 100 && (64..128).contains(&b))
                || (a == 198 && (b == 18 || b == 19))
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_internal(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80
                || first == 0x2001 && v6.segments()[1] == 0x0db8
        }
    }
}

/// A checked webhook URL.
#[derive(Clone, Debug)]
pub(crate) struct Target {
    pub(crate) url: reqwest::Url,
}

impl Target {
    /// Parses `url` and refuses what can never be a webhook target; an IP literal host is
    /// checked here, a name when it resolves.
    pub(crate) fn parse(url: &str, allow_internal: bool) -> Result<Target, Error> {
        let bad = |reason| Error::InvalidArgument {
            name: "webhook url",
            reason,
        };
        let url = reqwest::Url::parse(url).map_err(|_| bad("must be an absolute http(s) URL"))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(bad("must be an http or https URL"));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(bad(
                "must not hold a user name or password (they would be logged)",
            ));
        }
        let host = url.host_str().ok_or_else(|| bad("must name a host"))?;
        let bare = host.trim_start_matches('[').trim_end_matches(']');
        let internal = match bare.parse::<IpAddr>() {
            Ok(ip) => is_internal(ip),
            Err(_) => {
                let name = bare.to_ascii_lowercase();
                name == "localhost" || name.ends_with(".localhost")
            }
        };
        if internal && !allow_internal {
            return Err(bad(
                "points to a loopback, private or internal address; allow it explicitly \
                 (allow_internal_targets, --allow-internal) only for a receiver you run",
            ));
        }
        Ok(Target { url })
    }
}

/// A resolver that drops internal addresses from every answer (and fails when none is left).
#[derive(Debug, Default)]
pub(crate) struct PublicOnly;

impl Resolve for PublicOnly {
    fn resolve(&self, name: Name) -> Resolving {
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let found = tokio::net::lookup_host((host.as_str(), 0)).await?;
            let public: Vec<SocketAddr> = found.filter(|a| !is_internal(a.ip())).collect();
            if public.is_empty() {
                let refused: Box<dyn std::error::Error + Send + Sync> =
                    format!("{host} resolves only to internal addresses").into();
                return Err(refused);
            }
            let addrs: Addrs = Box::new(public.into_iter());
            Ok(addrs)
        })
    }
}

/// The resolver for a sender's default client.
pub(crate) fn public_only() -> Arc<PublicOnly> {
    Arc::new(PublicOnly)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_addresses_are_recognized() {
        for internal in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "::1",
            "fc00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::",
            "255.255.255.255",
        ] {
            assert!(is_internal(internal.parse().unwrap()), "{internal}");
        }
        for public in [
            "93.184.216.34",
            "8.8.8.8",
            "2606:4700::1111",
            "::ffff:8.8.8.8",
        ] {
            assert!(!is_internal(public.parse().unwrap()), "{public}");
        }
    }

    #[test]
    fn targets_are_checked() {
        assert!(Target::parse("https://hooks.example.com/admit", false).is_ok());
        for bad in [
            "ftp://example.com/",
            "https://user:pw@example.com/",
            "http://127.0.0.1:8080/",
            "http://localhost/",
            "http://[::1]/",
            "http://169.254.169.254/latest",
            "not a url",
        ] {
            assert!(Target::parse(bad, false).is_err(), "{bad}");
        }
        assert!(Target::parse("http://127.0.0.1:8080/", true).is_ok());
    }
}
