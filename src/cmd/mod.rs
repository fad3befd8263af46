//! The binary's commands: each parses its arguments, calls the library and prints.

pub mod agreement;
pub mod annotate;
pub mod classify;
pub mod common;
pub mod evaluate;
pub mod explain;
pub mod framing_eval;
pub mod init;
pub mod merge;
pub mod progress;
pub mod report;
pub mod score;
pub mod sentences;
pub mod train;
