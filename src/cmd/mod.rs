//! The binary's commands: each parses its arguments, calls the library and prints.

pub mod common;
pub mod report;
pub mod score;
pub mod sentences;
