//! The HTTP side of a request: reading its body, building Laravel's input from it, deciding
//! what the client accepts, and rendering every answer into bytes.

pub(crate) mod body;
pub(crate) mod input;
pub(crate) mod negotiate;
mod page;
pub(crate) mod reply;
