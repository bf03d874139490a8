//! Crate-internal macros.

/// `get_ref`, `get_mut` and `into_inner` for a service whose inner service is the field `inner`.
macro_rules! define_inner_service_accessors {
    () => {
        /// The inner service.
        ///
        /// # Example
        ///
        /// ```
        /// use tower_jwt_auth::csrf::{CsrfGuard, CsrfLayer};
        /// use tower_layer::Layer;
        ///
        /// let mut service = CsrfLayer::new(CsrfGuard::default()).layer(String::from("inner"));
        /// service.get_mut().push('!');
        /// assert_eq!(service.get_ref(), "inner!");
        /// assert_eq!(service.into_inner(), "inner!");
        /// ```
        pub fn get_ref(&self) -> &S {
            &self.inner
        }

        /// The inner service, mutably.
        ///
        /// # Example
        ///
        /// ```
        /// use tower_jwt_auth::csrf::{CsrfGuard, CsrfLayer};
        /// use tower_layer::Layer;
        ///
        /// let mut service = CsrfLayer::new(CsrfGuard::default()).layer(String::from("inner"));
        /// service.get_mut().push('!');
        /// assert_eq!(service.get_ref(), "inner!");
        /// assert_eq!(service.into_inner(), "inner!");
        /// ```
        pub fn get_mut(&mut self) -> &mut S {
            &mut self.inner
        }

        /// Consumes `self`, returning the inner service.
        ///
        /// # Example
        ///
        /// ```
        /// use tower_jwt_auth::csrf::{CsrfGuard, CsrfLayer};
        /// use tower_layer::Layer;
        ///
        /// let mut service = CsrfLayer::new(CsrfGuard::default()).layer(String::from("inner"));
        /// service.get_mut().push('!');
        /// assert_eq!(service.get_ref(), "inner!");
        /// assert_eq!(service.into_inner(), "inner!");
        /// ```
        pub fn into_inner(self) -> S {
            self.inner
        }
    };
}
