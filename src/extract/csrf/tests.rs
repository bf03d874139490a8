//! Unit tests of the cross-origin guard.

use super::*;
use http::Request;

fn check(guard: &CsrfGuard, req: &Request<()>) -> Result<(), CrossOrigin> {
    guard.verify(req.method(), req.uri(), req.headers())
}

const NON_UTF8: &[u8] = &[0xFF, 0xFE];

/// method, `Sec-Fetch-Site`, `Origin`, expected, name
type SiteCase = (
    Method,
    Option<&'static [u8]>,
    Option<&'static [u8]>,
    Result<(), CrossOrigin>,
    &'static str,
);
/// URI, `Host`, `Origin`, expected, name
type HostCase = (
    &'static str,
    Option<&'static str>,
    &'static str,
    Result<(), CrossOrigin>,
    &'static str,
);

#[test]
fn csrf_sec_fetch_site_rules() {
    let guard = CsrfGuard::default();
    let cases: [SiteCase; 17] = [
        (
            Method::GET,
            Some(b"same-origin"),
            None,
            Ok(()),
            "same-origin allowed",
        ),
        (Method::POST, Some(b"none"), None, Ok(()), "none allowed"),
        (
            Method::POST,
            Some(b"same-origin"),
            None,
            Ok(()),
            "same-origin POST allowed",
        ),
        (
            Method::POST,
            Some(b"cross-site"),
            None,
            Err(CrossOrigin::Request),
            "cross-site blocked",
        ),
        (
            Method::POST,
            Some(b"same-site"),
            None,
            Err(CrossOrigin::Request),
            "same-site blocked",
        ),
        (Method::POST, None, None, Ok(()), "no header, no origin"),
        (
            Method::POST,
            None,
            Some(b"https://example.com"),
            Ok(()),
            "matching origin",
        ),
        (
            Method::POST,
            None,
            Some(b"https://attacker.example"),
            Err(CrossOrigin::FromOldBrowser),
            "mismatched origin",
        ),
        (
            Method::POST,
            None,
            Some(b"null"),
            Err(CrossOrigin::FromOldBrowser),
            "null origin",
        ),
        (
            Method::GET,
            Some(b"cross-site"),
            None,
            Ok(()),
            "GET allowed",
        ),
        (
            Method::HEAD,
            Some(b"cross-site"),
            None,
            Ok(()),
            "HEAD allowed",
        ),
        (
            Method::OPTIONS,
            Some(b"cross-site"),
            None,
            Ok(()),
            "OPTIONS allowed",
        ),
        (
            Method::PUT,
            Some(b"cross-site"),
            None,
            Err(CrossOrigin::Request),
            "PUT blocked",
        ),
        (
            Method::POST,
            None,
            Some(NON_UTF8),
            Err(CrossOrigin::FromOldBrowser),
            "non-UTF-8 origin",
        ),
        (
            Method::POST,
            Some(NON_UTF8),
            None,
            Err(CrossOrigin::Request),
            "non-UTF-8 sec-fetch-site",
        ),
        (
            Method::POST,
            Some(b""),
            None,
            Ok(()),
            "empty sec-fetch-site",
        ),
        (Method::POST, None, Some(b""), Ok(()), "empty origin"),
    ];
    for (method, site, origin, expected, name) in cases {
        let mut req = Request::builder()
            .method(method)
            .header("host", "example.com");
        if let Some(site) = site {
            req = req.header("sec-fetch-site", site);
        }
        if let Some(origin) = origin {
            req = req.header("origin", origin);
        }
        assert_eq!(check(&guard, &req.body(()).unwrap()), expected, "{name}");
    }
}

#[test]
fn csrf_origin_host_and_port_matching() {
    let guard = CsrfGuard::default();
    let old = Err(CrossOrigin::FromOldBrowser);
    let cases: [HostCase; 14] = [
        (
            "/",
            Some("example.com"),
            "https://example.com",
            Ok(()),
            "default port both sides",
        ),
        (
            "/",
            Some("example.com:8443"),
            "https://example.com:8443",
            Ok(()),
            "same non-default port",
        ),
        (
            "/",
            Some("example.com:443"),
            "https://example.com:443",
            Ok(()),
            "explicit default both",
        ),
        (
            "/",
            Some("example.com:8443"),
            "https://example.com:8444",
            old,
            "mismatched ports",
        ),
        (
            "/",
            Some("example.com"),
            "https://example.com:443",
            Ok(()),
            "origin explicit default",
        ),
        (
            "/",
            Some("example.com:443"),
            "https://example.com",
            Ok(()),
            "host explicit default",
        ),
        (
            "/",
            Some("example.com"),
            "https://example.com:8443",
            old,
            "host implicit, origin 8443",
        ),
        (
            "https://example.com/p",
            None,
            "https://example.com:8443",
            old,
            "uri authority, origin 8443",
        ),
        (
            "https://example.com/p",
            Some("not a valid authority"),
            "https://example.com",
            Ok(()),
            "bad host: uri",
        ),
        (
            "https://example.com/p",
            None,
            "https://example.com",
            Ok(()),
            "uri authority match",
        ),
        (
            "https://other.example/p",
            None,
            "https://example.com",
            old,
            "uri authority mismatch",
        ),
        ("/path", None, "https://example.com", old, "no host at all"),
        (
            "/",
            Some("example.com:8443"),
            "example.com:8443",
            old,
            "scheme-less origin",
        ),
        (
            "/",
            Some("example.com:8443"),
            "ftp://example.com:8443",
            old,
            "non-http origin",
        ),
    ];
    for (uri, host, origin, expected, name) in cases {
        let mut req = Request::builder().method(Method::POST).uri(uri);
        if let Some(host) = host {
            req = req.header("host", host);
        }
        let req = req.header("origin", origin).body(()).unwrap();
        assert_eq!(check(&guard, &req), expected, "{name}");
    }
}

#[test]
fn csrf_trusted_origins() {
    let guard = CsrfGuard::new(["https://trusted.example"]).unwrap();
    let cases = [
        (Some("https://trusted.example"), None, Ok(())),
        (Some("https://trusted.example"), Some("cross-site"), Ok(())),
        (
            Some("https://attacker.example"),
            None,
            Err(CrossOrigin::FromOldBrowser),
        ),
        (
            Some("https://attacker.example"),
            Some("cross-site"),
            Err(CrossOrigin::Request),
        ),
    ];
    for (origin, site, expected) in cases {
        let mut req = Request::builder()
            .method("POST")
            .header("host", "example.com");
        if let Some(site) = site {
            req = req.header("sec-fetch-site", site);
        }
        if let Some(origin) = origin {
            req = req.header("origin", origin);
        }
        assert_eq!(
            check(&guard, &req.body(()).unwrap()),
            expected,
            "{origin:?} {site:?}"
        );
    }
}

#[test]
fn csrf_trusted_origins_are_canonicalized() {
    for (trusted, origin) in [
        ("HTTPS://Example.COM", "https://example.com"),
        ("https://example.com/", "https://example.com"),
        ("https://example.com:443", "https://example.com"),
        ("http://example.com:80", "http://example.com"),
        ("https://example.com:8443", "https://example.com:8443"),
    ] {
        let guard = CsrfGuard::new([trusted]).unwrap();
        let req = Request::builder()
            .method("POST")
            .header("host", "other.example")
            .header("origin", origin)
            .header("sec-fetch-site", "cross-site")
            .body(())
            .unwrap();
        assert_eq!(check(&guard, &req), Ok(()), "{trusted}");
    }
    for bad in [
        "not a url",
        "https://example.com/path",
        "ftp://example.com",
        "https://u:p@example.com",
    ] {
        assert!(CsrfGuard::new([bad]).is_err(), "{bad}");
    }
}
