//! Who is on the other end: the TCP peer, or, when the peer is one of our trusted
//! reverse proxies, the address that proxy names. Rate limits and logs use it.
//!
//! Without `TURNOUT_TRUSTED_PROXIES` nothing a client writes in a header is believed:
//! `X-Forwarded-For` is the first thing an attacker forges to dodge a limit.

use std::net::{IpAddr, Ipv6Addr};

use ipnet::IpNet;
use poem::{Endpoint, Request, Response, http::HeaderMap};

/// The client's address, as worked out once per request by [`resolve`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ClientAddr(pub IpAddr);

impl ClientAddr {
    /// The address of the request, when the edge worked it out (always, in the app).
    pub fn of(req: &Request) -> Option<Self> {
        req.extensions().get::<Self>().copied()
    }

    /// What rate limits count by. An IPv6 subscriber is given a whole /64 and may
    /// use any address in it, so one /64 is one client; IPv4 addresses stand alone.
    pub fn limit_key(self) -> IpAddr {
        match self.0 {
            IpAddr::V4(v4) => IpAddr::V4(v4),
            IpAddr::V6(v6) => {
                let bits = u128::from(v6) & !((1u128 << 64) - 1);
                IpAddr::V6(Ipv6Addr::from(bits))
            }
        }
    }
}

/// The reverse proxies whose word on the client's address is believed.
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies(std::sync::Arc<[IpNet]>);

impl TrustedProxies {
    pub fn new(networks: &[IpNet]) -> Self {
        Self(networks.into())
    }

    fn trusts(&self, addr: IpAddr) -> bool {
        self.0.iter().any(|net| net.contains(&addr))
    }

    /// The client behind `peer`: the peer itself unless it is a trusted proxy; else,
    /// reading the proxies' chain from the right (the hop nearest us first), the
    /// first address that is not a trusted proxy. A chain that stops making sense
    /// (an entry that is not an address) ends at the last proxy we trust.
    pub fn client(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let peer = peer.to_canonical();
        if !self.trusts(peer) {
            return peer;
        }
        let chain = forwarded_chain(headers);
        let mut client = peer;
        for hop in chain.iter().rev() {
            match hop {
                Some(addr) if self.trusts(*addr) => client = *addr,
                Some(addr) => return *addr,
                None => return client,
            }
        }
        client
    }
}

/// The addresses a proxy chain names, left (the original client) to right: from
/// `Forwarded` (RFC 7239) when present, else `X-Forwarded-For`. `None` for an entry
/// that is not an address (`unknown`, an obfuscated identifier, junk).
fn forwarded_chain(headers: &HeaderMap) -> Vec<Option<IpAddr>> {
    let forwarded: Vec<&str> = headers
        .get_all("forwarded")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    if !forwarded.is_empty() {
        return forwarded
            .iter()
            .flat_map(|v| v.split(','))
            .map(|element| {
                element
                    .split(';')
                    .filter_map(|pair| pair.split_once('='))
                    .find(|(name, _)| name.trim().eq_ignore_ascii_case("for"))
                    .and_then(|(_, value)| node_address(value))
            })
            .collect();
    }
    headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(node_address)
        .collect()
}

/// `192.0.2.60`, `"[2001:db8::1]:4711"`, `192.0.2.60:8080`, `2001:db8::1`.
fn node_address(raw: &str) -> Option<IpAddr> {
    let node = raw.trim().trim_matches('"');
    if let Ok(addr) = node.parse::<IpAddr>() {
        return Some(addr.to_canonical());
    }
    if let Some(rest) = node.strip_prefix('[') {
        return rest.split(']').next()?.parse::<IpAddr>().ok();
    }
    let (host, port) = node.rsplit_once(':')?;
    port.parse::<u16>().ok()?;
    host.parse::<IpAddr>().ok().map(|a| a.to_canonical())
}

/// Work out the client's address once, for every handler after it.
pub async fn resolve<E: Endpoint>(
    endpoint: std::sync::Arc<E>,
    mut req: Request,
    proxies: &TrustedProxies,
) -> poem::Result<Response> {
    if let Some(peer) = req.remote_addr().as_socket_addr().map(|a| a.ip()) {
        let client = proxies.client(peer, req.headers());
        req.extensions_mut().insert(ClientAddr(client));
    }
    endpoint
        .call(req)
        .await
        .map(poem::IntoResponse::into_response)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, value.parse().unwrap());
        }
        map
    }

    fn proxies(list: &[&str]) -> TrustedProxies {
        TrustedProxies::new(&list.iter().map(|n| n.parse().unwrap()).collect::<Vec<_>>())
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    /// The client that a request from `peer` with one forwarding header is taken
    /// for, behind a proxy trusted as nginx in 10.0.0.0/8 would be.
    fn behind_nginx(peer: &str, header: (&'static str, &str)) -> IpAddr {
        let nginx = proxies(&["10.0.0.0/8"]);
        nginx.client(ip(peer), &headers(&[header]))
    }

    #[test]
    fn without_trusted_proxies_a_forged_header_is_ignored() {
        let none = TrustedProxies::default();
        let forged = headers(&[("x-forwarded-for", "203.0.113.9")]);
        assert_eq!(none.client(ip("198.51.100.4"), &forged), ip("198.51.100.4"));
    }

    #[test]
    fn behind_a_trusted_proxy_the_client_is_the_address_it_names() {
        let client = behind_nginx("10.1.2.3", ("x-forwarded-for", "203.0.113.9"));
        assert_eq!(client, ip("203.0.113.9"));
    }

    #[test]
    fn a_client_cannot_put_a_forged_address_in_front_of_the_chain() {
        // The client sent "X-Forwarded-For: 192.0.2.1"; our proxy appended the peer
        // it saw. The rightmost untrusted entry is the real client.
        let one_hop = ("x-forwarded-for", "192.0.2.1, 203.0.113.9");
        assert_eq!(behind_nginx("10.1.2.3", one_hop), ip("203.0.113.9"));
        let two_hops = ("x-forwarded-for", "192.0.2.1, 203.0.113.9, 10.9.9.9");
        assert_eq!(behind_nginx("10.1.2.3", two_hops), ip("203.0.113.9"));
    }

    #[test]
    fn the_forwarded_header_is_read_with_ports_and_brackets() {
        let forwarded = (
            "forwarded",
            "for=192.0.2.43;proto=https, for=\"[2001:db8:cafe::17]:4711\"",
        );
        assert_eq!(behind_nginx("10.1.2.3", forwarded), ip("2001:db8:cafe::17"));
    }

    #[test]
    fn junk_in_the_chain_ends_it_at_the_last_trusted_hop() {
        let junk = ("x-forwarded-for", "203.0.113.9, unknown");
        assert_eq!(behind_nginx("10.1.2.3", junk), ip("10.1.2.3"));
    }

    #[test]
    fn an_ipv6_client_is_counted_by_its_64() {
        let a = ClientAddr(ip("2001:db8:1:2:aaaa::1"));
        let b = ClientAddr(ip("2001:db8:1:2:ffff:ffff:ffff:ffff"));
        let other = ClientAddr(ip("2001:db8:1:3::1"));
        assert_eq!(a.limit_key(), b.limit_key());
        assert_ne!(a.limit_key(), other.limit_key());
        assert_eq!(ClientAddr(ip("192.0.2.7")).limit_key(), ip("192.0.2.7"));
    }
}
