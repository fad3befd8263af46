//! The binary's commands: each parses its arguments, calls the library and prints.

pub mod common;
pub mod sentences;
