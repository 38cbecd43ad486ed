//! The mock's own control surface under `/__admin` (JSON in and out).

use hyper::StatusCode;

use crate::reply::Reply;

/// `GET /__admin/health`.
pub fn health() -> Reply {
    Reply::json(StatusCode::OK, &b"{\"status\":\"ok\"}"[..])
}
