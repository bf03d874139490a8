//! [`Scopes`]' reading side: membership, iteration and size.

use super::Scopes;

impl Scopes {
    /// Whether the token carries `scope`.
    ///
    /// ```
    /// # let claims: tower_jwt_auth::RegisteredClaims = serde_json::from_value(serde_json::json!({"scope": "orders:read orders:write"}))?;
    /// // The token's "scope": "orders:read orders:write"
    /// assert!(claims.scopes.contains("orders:write"));
    /// assert!(!claims.scopes.contains("orders")); // whole scopes only
    /// # Ok::<_, serde_json::Error>(())
    /// ```
    #[must_use]
    pub fn contains(&self, scope: &str) -> bool {
        self.0.contains(scope)
    }

    /// The scopes, in lexical order.
    ///
    /// ```
    /// # let claims: tower_jwt_auth::RegisteredClaims = serde_json::from_value(serde_json::json!({"scope": "write read"}))?;
    /// // The token's "scope": "write read"
    /// assert_eq!(claims.scopes.iter().collect::<Vec<_>>(), ["read", "write"]);
    /// # Ok::<_, serde_json::Error>(())
    /// ```
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(String::as_str)
    }

    /// The number of scopes.
    ///
    /// ```
    /// # let claims: tower_jwt_auth::RegisteredClaims = serde_json::from_value(serde_json::json!({"scope": "read  write", "scp": ["read"]}))?;
    /// // The token's "scope": "read  write", "scp": ["read"]
    /// assert_eq!(claims.scopes.len(), 2);
    /// # Ok::<_, serde_json::Error>(())
    /// ```
    #[must_use]
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the token carries no scope.
    ///
    /// ```
    /// # let claims: tower_jwt_auth::RegisteredClaims = serde_json::from_value(serde_json::json!({"scope": " "}))?;
    /// // The token's "scope": " "
    /// assert!(claims.scopes.is_empty());
    /// # Ok::<_, serde_json::Error>(())
    /// ```
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}
