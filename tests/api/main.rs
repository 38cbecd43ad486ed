//! Integration tests: servers started through the library on port 0, plus a few runs of the
//! real binary.

mod admin;
mod binary;
mod concurrency;
mod create;
mod dashboard;
mod faults;
mod golden;
mod hardening;
mod helpers;
mod http_errors;
mod in_process;
mod lifecycle;
mod observability;
mod openapi;
mod properties;
mod response_schemas;
mod scenarios;
mod schemas;
mod sessions;
mod tls;
mod validation;
