//! The request side: where the token is read ([`TokenSource`]) and the cross-origin guard for
//! tokens that come from a cookie ([`csrf`]).

pub mod csrf;
mod token;

pub(crate) use self::token::Found;
pub use self::token::TokenSource;
