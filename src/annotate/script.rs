//! The session's keys read from a stream instead of a terminal (`annotate --script`), for
//! scripts and tests: each non-blank character of the input is one key (`1`-`4`, `u`, `s`,
//! `?`, `q`), and every step is written as one line of text: `next ARTICLE#INDEX ROLE`, then
//! `saved ARTICLE#INDEX NAME` once the answer is on disk, `undone ...`, `skipped ...`,
//! `retrained round N`, and `quit N labelled` at `q` or the end of the input. Retraining is
//! waited for, so the order depends on the answers only.

use super::session::Session;
use super::{AnnotateError, ClaimInfo};
use crate::label::Label;
use std::io::{BufRead, Write};

/// Reads keys from `input` and writes the session's steps to `out`, flushing after each.
pub fn run(
    session: &mut Session,
    info: &ClaimInfo,
    mut input: impl BufRead,
    mut out: impl Write,
) -> Result<(), AnnotateError> {
    let io = |source| AnnotateError::Io {
        path: "<stdout>".into(),
        source,
    };
    let say = |out: &mut dyn Write, s: String| -> Result<(), AnnotateError> {
        writeln!(out, "{s}").and_then(|_| out.flush()).map_err(io)
    };
    let show_next = |session: &Session| match session.current_item() {
        Some(it) => format!("next {}#{} {}", it.article, it.index, it.role.as_str()),
        None => "done".to_string(),
    };
    say(&mut out, show_next(session))?;
    let mut line = String::new();
    loop {
        line.clear();
        let n = input.read_line(&mut line).map_err(|e| AnnotateError::Io {
            path: "<stdin>".into(),
            source: e,
        })?;
        if n == 0 {
            break;
        }
        for c in line.chars().filter(|c| !c.is_whitespace()) {
            match c {
                '1'..='4' => {
                    let label = Label::ALL[c as usize - '1' as usize];
                    match session.answer(label)? {
                        Some(a) => say(
                            &mut out,
                            format!("saved {}#{} {}", a.article, a.index, info.name(label)),
                        )?,
                        None => say(&mut out, "nothing left to label".into())?,
                    }
                    if session.is_retraining() {
                        session.wait_retraining();
                        match session.retrain_error() {
                            None => say(&mut out, format!("retrained round {}", session.rounds()))?,
                            Some(e) => say(&mut out, format!("retraining failed: {e}"))?,
                        }
                    }
                }
                'u' => match session.undo()? {
                    Some(a) => say(
                        &mut out,
                        format!("undone {}#{} {}", a.article, a.index, info.name(a.label)),
                    )?,
                    None => say(&mut out, "nothing to undo".into())?,
                },
                's' => {
                    if let Some(it) = session.current_item() {
                        let msg = format!("skipped {}#{}", it.article, it.index);
                        session.skip();
                        say(&mut out, msg)?;
                    }
                }
                '?' => say(&mut out, info.rules.clone())?,
                'q' => {
                    say(&mut out, format!("quit {} labelled", session.answered()))?;
                    return Ok(());
                }
                other => say(
                    &mut out,
                    format!("unknown key `{}`", other.escape_default()),
                )?,
            }
            say(&mut out, show_next(session))?;
        }
    }
    say(&mut out, format!("quit {} labelled", session.answered()))
}
