//! Integration tests: servers started through the library on port 0, plus a few runs of the
//! real binary.

mod binary;
mod concurrency;
mod create;
mod helpers;
mod http_errors;
mod schemas;
mod validation;
