//! The token sources outside the headers' usual places: a query parameter (RFC 6750 §2.3) and a
//! `Sec-WebSocket-Protocol` entry; and how the layer removes them before the handler sees them.

use http::header::SEC_WEBSOCKET_PROTOCOL;
use http::{HeaderMap, HeaderValue, Uri};

use super::{Found, Kind, TokenSource};
use crate::error::{AuthError, ConfigError};

impl TokenSource {
    /// The query parameter `name` ([RFC 6750 §2.3](https://www.rfc-editor.org/rfc/rfc6750#section-2.3)):
    /// `GET /events?access_token=<token>`. **A last resort**, for clients that can set no header
    /// (a browser's `EventSource`): URLs end up in access logs, browser history and `Referer`
    /// headers. Opt in only for the routes that need it. The layer removes the parameter from
    /// the URI before the handler (and anything after it) sees the request, never logs it, and
    /// answers such requests with `Cache-Control: private` (unless the handler set `no-store`
    /// or `private`), as RFC 6750 §2.3 asks.
    ///
    /// # Errors
    ///
    /// [`ConfigError::InvalidTokenSource`] for an empty name or one with `&`, `=`, `#`, `?` or
    /// a space.
    ///
    /// # Example
    ///
    /// ```
    /// use http::Request;
    /// use tower_jwt_auth::TokenSource;
    ///
    /// let source = TokenSource::query("access_token")?;
    /// let req = Request::get("/events?since=5&access_token=eyJ.eyJ.sig").body(())?;
    /// assert_eq!(source.extract_from(&req)?, Some("eyJ.eyJ.sig"));
    /// assert!(TokenSource::query("a&b").is_err());
    /// # Ok::<_, Box<dyn std::error::Error>>(())
    /// ```
    pub fn query(name: impl Into<String>) -> Result<Self, ConfigError> {
        let name = name.into();
        if name.is_empty()
            || name
                .bytes()
                .any(|b| b"&=#? %+".contains(&b) || !b.is_ascii_graphic())
        {
            return Err(ConfigError::InvalidTokenSource {
                source: name,
                reason: "is not a query parameter name",
            });
        }
        Ok(Self(Kind::Query(name)))
    }

    /// An entry of `Sec-WebSocket-Protocol` that starts with `prefix`: the token follows it
    /// (`Sec-WebSocket-Protocol: chat.v1, base64url.bearer.authorization.k8s.io.<token>`).
    /// Browsers can't set headers on a WebSocket, but they send the subprotocols the page asks
    /// for. The layer removes the token entry from the header before the handler sees it; the
    /// server must answer with the real subprotocol it picked (`chat.v1`), **never the token
    /// entry**, which would echo the token back.
    ///
    /// # Errors
    ///
    /// [`ConfigError::InvalidTokenSource`] for an empty prefix or one outside the HTTP token
    /// grammar (RFC 6455 subprotocols are tokens).
    ///
    /// # Example
    ///
    /// ```
    /// use http::Request;
    /// use tower_jwt_auth::TokenSource;
    ///
    /// let source = TokenSource::websocket_protocol("base64url.bearer.authorization.k8s.io.")?;
    /// let req = Request::get("/ws")
    ///     .header("sec-websocket-protocol", "chat.v1, base64url.bearer.authorization.k8s.io.eyJ.eyJ.sig")
    ///     .body(())?;
    /// assert_eq!(source.extract_from(&req)?, Some("eyJ.eyJ.sig"));
    /// # Ok::<_, Box<dyn std::error::Error>>(())
    /// ```
    pub fn websocket_protocol(prefix: impl Into<String>) -> Result<Self, ConfigError> {
        let prefix = prefix.into();
        let token_char = |b: u8| b.is_ascii_graphic() && !b"()<>@,;:\\\"/[]?={}".contains(&b);
        if prefix.is_empty() || !prefix.bytes().all(token_char) {
            return Err(ConfigError::InvalidTokenSource {
                source: prefix,
                reason: "is not a WebSocket subprotocol prefix",
            });
        }
        Ok(Self(Kind::Protocol(prefix)))
    }

    /// [`extract`](Self::extract) from a whole request: the only way to read a
    /// [`query`](Self::query) source, which lives in the URI.
    ///
    /// # Errors
    ///
    /// As [`extract`](Self::extract).
    ///
    /// # Example
    ///
    /// ```
    /// use http::Request;
    /// use tower_jwt_auth::TokenSource;
    ///
    /// let req = Request::get("/?access_token=a.b.c&access_token=d.e.f").body(())?;
    /// let err = TokenSource::query("access_token")?.extract_from(&req).unwrap_err();
    /// assert_eq!(err.code(), "invalid_request");
    /// # Ok::<_, Box<dyn std::error::Error>>(())
    /// ```
    pub fn extract_from<'a, B>(
        &self,
        req: &'a http::Request<B>,
    ) -> Result<Option<&'a str>, AuthError> {
        match self.find(
            req.headers(),
            req.uri().query(),
            crate::verify::jws::DEFAULT_MAX_TOKEN_LEN,
        ) {
            Found::Nothing => Ok(None),
            Found::Token(token) => Ok(Some(token)),
            Found::Invalid(error) => Err(error),
        }
    }

    /// The name of the query parameter this source reads, if it is one.
    pub(crate) fn query_name(&self) -> Option<&str> {
        match &self.0 {
            Kind::Query(name) => Some(name),
            _ => None,
        }
    }

    /// Removes what this source reads from the request before the handler sees it: every
    /// parameter of the query source's name (as sent or percent-encoded), every
    /// `Sec-WebSocket-Protocol` entry with the prefix (nothing for the other sources). Returns
    /// the token it held, for layers further in.
    pub(crate) fn take<B>(&self, req: &mut http::Request<B>) -> Option<String> {
        let token = match self.find(req.headers(), req.uri().query(), usize::MAX) {
            Found::Token(token) => Some(token.to_owned()),
            _ => None,
        };
        match &self.0 {
            // A URI that can't be rebuilt keeps nothing of its query.
            Kind::Query(name) if req.uri().query().is_some() => {
                let uri = strip_query(req.uri(), name).unwrap_or_else(|| Uri::from_static("/"));
                *req.uri_mut() = uri;
            }
            Kind::Protocol(prefix) => strip_protocol(req.headers_mut(), prefix),
            _ => {}
        }
        token
    }

    /// Whether the layer removes this source's token from the request before the handler.
    pub(crate) fn needs_strip(&self) -> bool {
        matches!(self.0, Kind::Query(_) | Kind::Protocol(_))
    }
}

/// Whether a query parameter's key is `name`, as sent or once form-decoded (`access%5Ftoken`
/// is what a handler's query parser reads as `access_token`).
fn names(key: &str, name: &str) -> bool {
    key == name
        || ((key.contains('%') || key.contains('+'))
            && url::form_urlencoded::parse(key.as_bytes())
                .next()
                .is_some_and(|(decoded, _)| decoded == name))
}

/// Calls `found` with the raw value of every parameter named `name` of a query string, the key
/// as sent or percent-encoded (the value is not decoded: a token needs no escaping, and one
/// with `%` fails the `b64token` grammar).
pub(super) fn query_values<'q>(query: &'q str, name: &str, mut found: impl FnMut(&'q [u8])) {
    for pair in query.split('&') {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        if names(key, name) {
            found(value.as_bytes());
        }
    }
}

/// Calls `found` with the rest of every entry of a `Sec-WebSocket-Protocol` value that starts
/// with `prefix` (entries are comma-separated, RFC 6455 §4.1).
pub(super) fn protocol_values<'h>(
    header: &'h [u8],
    prefix: &[u8],
    mut found: impl FnMut(&'h [u8]),
) {
    for entry in header.split(|b| *b == b',') {
        let entry = entry.trim_ascii();
        if let Some(rest) = entry.strip_prefix(prefix) {
            found(rest);
        }
    }
}

/// The URI without the `name=` parameters of its query.
pub(crate) fn strip_query(uri: &Uri, name: &str) -> Option<Uri> {
    let query = uri.query()?;
    let kept: Vec<&str> = query
        .split('&')
        .filter(|pair| !names(pair.split_once('=').map_or(*pair, |(key, _)| key), name))
        .collect();
    let path = uri.path();
    let path_and_query = if kept.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{}", kept.join("&"))
    };
    let mut parts = uri.clone().into_parts();
    parts.path_and_query = path_and_query.parse().ok();
    Uri::from_parts(parts).ok()
}

/// Removes the entries starting with `prefix` from every `Sec-WebSocket-Protocol` header,
/// keeping the others (the real subprotocols) in order; a header left empty is removed.
pub(crate) fn strip_protocol(headers: &mut HeaderMap, prefix: &str) {
    let kept: Vec<String> = headers
        .get_all(SEC_WEBSOCKET_PROTOCOL)
        .iter()
        .flat_map(|value| value.as_bytes().split(|b| *b == b','))
        .map(<[u8]>::trim_ascii)
        .filter(|entry| !entry.is_empty() && !entry.starts_with(prefix.as_bytes()))
        .map(|entry| String::from_utf8_lossy(entry).into_owned())
        .collect();
    headers.remove(SEC_WEBSOCKET_PROTOCOL);
    if !kept.is_empty()
        && let Ok(value) = HeaderValue::try_from(kept.join(", "))
    {
        headers.insert(SEC_WEBSOCKET_PROTOCOL, value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_parameters_and_their_removal() {
        let mut found = Vec::new();
        query_values(
            "a=1&access_token=x.y.z&access_token&b=2&access%5Ftoken=q",
            "access_token",
            |v| found.push(v),
        );
        assert_eq!(found, [&b"x.y.z"[..], b"", b"q"]);
        let uri: Uri = "/e?access%5ftoken=a&x=1&access_token=b".parse().unwrap();
        assert_eq!(strip_query(&uri, "access_token").unwrap(), "/e?x=1");
        let uri: Uri = "https://api.example/ws?a=1&access_token=x.y.z&b=2"
            .parse()
            .unwrap();
        assert_eq!(
            strip_query(&uri, "access_token").unwrap(),
            "https://api.example/ws?a=1&b=2"
        );
        let uri: Uri = "/ws?access_token=x.y.z".parse().unwrap();
        assert_eq!(strip_query(&uri, "access_token").unwrap(), "/ws");
    }

    #[test]
    fn protocol_entries_and_their_removal() {
        let mut headers = HeaderMap::new();
        headers.append(
            SEC_WEBSOCKET_PROTOCOL,
            "chat.v1, base64url.bearer.x.y.z".parse().unwrap(),
        );
        headers.append(SEC_WEBSOCKET_PROTOCOL, "other".parse().unwrap());
        let mut found = Vec::new();
        for value in &headers.get_all(SEC_WEBSOCKET_PROTOCOL) {
            protocol_values(value.as_bytes(), b"base64url.bearer.", |v| {
                found.push(v.to_vec())
            });
        }
        assert_eq!(found, [b"x.y.z".to_vec()]);
        strip_protocol(&mut headers, "base64url.bearer.");
        assert_eq!(headers[SEC_WEBSOCKET_PROTOCOL], "chat.v1, other");
        let mut only = HeaderMap::new();
        only.insert(
            SEC_WEBSOCKET_PROTOCOL,
            "base64url.bearer.x.y.z".parse().unwrap(),
        );
        strip_protocol(&mut only, "base64url.bearer.");
        assert!(only.get(SEC_WEBSOCKET_PROTOCOL).is_none());
    }
}
