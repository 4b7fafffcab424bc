//! Where buyin may send requests on its own (webhooks): public addresses only, checked on the
//! very addresses it connects to.
//!
//! A name is resolved once, every address it resolves to is checked, and the HTTP client
//! connects to exactly those addresses ([`GuardedResolver`]), so a DNS answer that changes
//! between the check and the connection (rebinding) reaches nothing private. Every address
//! that is not globally routable is refused, including IPv4 hidden inside IPv6 (mapped,
//! compatible, NAT64, 6to4).

use std::{
    error::Error as StdError,
    net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr},
    time::Duration,
};

use actix_tls::connect::{Connector as TcpConnector, Resolve, Resolver};
use futures_util::future::LocalBoxFuture;

/// Whether an IPv4 address is globally routable (RFC 6890's special-purpose ranges are not).
fn is_global_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(a == 0                                  // "this network", 0.0.0.1 included
        || a == 10
        || a == 127
        || (a == 100 && (64..128).contains(&b)) // carrier-grade NAT
        || (a == 169 && b == 254)
        || (a == 172 && (16..32).contains(&b))
        || (a == 192 && b == 0 && c == 0)       // IETF protocol assignments
        || (a == 192 && b == 0 && c == 2)       // documentation
        || (a == 192 && b == 88 && c == 99)     // 6to4 relay anycast
        || (a == 192 && b == 168)
        || (a == 198 && (18..20).contains(&b))  // benchmarking
        || (a == 198 && b == 51 && c == 100)
        || (a == 203 && b == 0 && c == 113)
        || a >= 224) // multicast, reserved, broadcast
}

/// The IPv4 address an IPv6 address carries, in the forms that reach it: IPv4-mapped
/// (`::ffff:a.b.c.d`), IPv4-compatible (`::a.b.c.d`), NAT64 (`64:ff9b::a.b.c.d`) and 6to4
/// (`2002:AABB:CCDD::`).
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = ip.segments();
    let tail = || Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8);
    match s {
        [0, 0, 0, 0, 0, 0xffff, _, _] | [0, 0, 0, 0, 0, 0, _, _] => Some(tail()),
        [0x64, 0xff9b, 0, 0, 0, 0, _, _] => Some(tail()),
        [0x2002, hi, lo, ..] => Some(Ipv4Addr::new(
            (hi >> 8) as u8,
            hi as u8,
            (lo >> 8) as u8,
            lo as u8,
        )),
        _ => None,
    }
}

/// Whether an address is globally routable: IPv6 within 2000::/3 less its special ranges, or
/// an IPv4 (also when carried inside IPv6) outside the special-purpose ranges.
pub fn is_global(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_global_v4(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = embedded_v4(v6) {
                return is_global_v4(v4);
            }
            let s = v6.segments();
            (s[0] & 0xe000) == 0x2000          // global unicast 2000::/3
                && !(s[0] == 0x2001 && s[1] < 0x0200) // 2001::/23: Teredo, ORCHID, …
                && !(s[0] == 0x2001 && s[1] == 0x0db8) // documentation
                && !(s[0] == 0x3fff && s[1] < 0x1000) // documentation (3fff::/20)
        }
    }
}

/// Resolves `host` and returns its addresses, or why they may not be reached.
pub async fn resolve_public(
    host: &str,
    port: u16,
    allow_private: bool,
) -> Result<Vec<SocketAddr>, String> {
    let host = host.trim_matches(|c| c == '[' || c == ']');
    let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host, port))
        .await
        .map_err(|_| format!("host `{host}` does not resolve"))?
        .collect();
    if addrs.is_empty() {
        return Err(format!("host `{host}` does not resolve"));
    }
    if !allow_private && addrs.iter().any(|a| !is_global(a.ip())) {
        return Err(
            "must not point at a loopback, private, link-local or other non-public address".into(),
        );
    }
    Ok(addrs)
}

/// The HTTP client's resolver: what it resolves is checked, and only that is connected to.
struct GuardedResolver {
    allow_private: bool,
}

impl Resolve for GuardedResolver {
    fn lookup<'a>(
        &'a self,
        host: &'a str,
        port: u16,
    ) -> LocalBoxFuture<'a, Result<Vec<SocketAddr>, Box<dyn StdError>>> {
        Box::pin(async move {
            resolve_public(host, port, self.allow_private)
                .await
                .map_err(Box::<dyn StdError>::from)
        })
    }
}

/// An HTTP client for outbound requests: no redirects, a timeout, and names resolved through
/// [`GuardedResolver`]. (An address literal is not resolved: callers check it with
/// [`is_global`] first, and a literal cannot change between check and connection.)
pub fn client(timeout: Duration, allow_private: bool) -> awc::Client {
    let resolver = Resolver::custom(GuardedResolver { allow_private });
    let connector = awc::Connector::new()
        .connector(TcpConnector::new(resolver).service())
        .timeout(timeout);
    awc::Client::builder()
        .connector(connector)
        .timeout(timeout)
        .disable_redirects()
        .finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn global(s: &str) -> bool {
        is_global(s.parse().unwrap())
    }

    #[test]
    fn public_addresses_are_global() {
        for ip in [
            "93.184.216.34",
            "8.8.8.8",
            "2606:4700:4700::1111",
            "64:ff9b::808:808",
        ] {
            assert!(global(ip), "{ip}");
        }
    }

    #[test]
    fn every_non_global_address_is_refused_including_ipv4_inside_ipv6() {
        for ip in [
            "127.0.0.1",
            "0.0.0.1",
            "0.0.0.0",
            "10.1.2.3",
            "100.64.0.1",
            "169.254.169.254",
            "172.16.0.1",
            "192.168.1.1",
            "192.0.0.8",
            "198.18.0.1",
            "224.0.0.1",
            "255.255.255.255",
            "::",
            "::1",
            "::127.0.0.1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "64:ff9b::7f00:1",
            "64:ff9b::a9fe:a9fe",
            "64:ff9b:1::1",
            "2002:7f00:1::",
            "2002:a9fe:a9fe::1",
            "2001:0:4136:e378:8000:63bf:3fff:fdd2",
            "2001:db8::1",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "fec0::1",
            "ff02::1",
            "100::1",
        ] {
            assert!(!global(ip), "{ip} must be refused");
        }
    }
}
