//! One test binary for the rules, the definitions, the command line, the properties and
//! the dashboards.
//!
//! Every file directly under `tests/` is a binary of its own that links the whole library
//! (and tonic, rustls, jsonschema ...): grouping tests as modules of one binary saves a
//! link and its disk per file. A new test file belongs here unless it needs a process of
//! its own (global state, signals, a logger).

#[path = "../common/mod.rs"]
mod common;

mod architecture;
mod cda_rules;
mod cli_empty;
mod cli_limits;
mod cli_pairing;
mod consistency;
mod definitions;
mod differential;
mod either_or;
mod fixtures;
mod hostile;
mod http;
mod languages;
mod ops;
mod privacy;
mod properties;
mod reload;
mod rules;
mod service;
mod survey;
mod tls;
