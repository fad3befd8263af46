//! The terminal screen of `claimtrack annotate` (ratatui on crossterm): the claim and its four
//! roles, the sentence in its article (headline, the sentences before and after it, its
//! position), progress, and the keys (1-4 label, `u` undo, `s` skip, `a` the whole article,
//! `?` rules, `q` quit).
//! Drawing ([`draw`]) and key handling ([`on_key`]) are separate from the terminal loop
//! ([`run`]) so both can be tested on ratatui's `TestBackend`. The loop never waits on the
//! model: it polls the session's background retraining between keys.

use super::queue::Order;
use super::session::Session;
use super::{AnnotateError, ClaimInfo};
use crate::label::Label;
use ratatui::crossterm::event::{self, Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span, Text};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};
use ratatui::Frame;
use std::time::Duration;

/// What the screen shows besides the session: the rules overlay and the last message.
#[derive(Debug, Clone, Default)]
pub struct Ui {
    /// The rules are shown (after `?`).
    pub help: bool,
    /// The whole article is shown (after `a`).
    pub article: bool,
    /// Lines scrolled in the rules.
    pub scroll: u16,
    /// The outcome of the last key (`saved ... as ...`).
    pub status: String,
}

/// Handles one key; returns true when the session should end (`q`, Esc or Ctrl-C).
pub fn on_key(
    session: &mut Session,
    info: &ClaimInfo,
    ui: &mut Ui,
    key: KeyEvent,
) -> Result<bool, AnnotateError> {
    if key.kind == KeyEventKind::Release {
        return Ok(false);
    }
    if key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char('c') {
        return Ok(true);
    }
    if ui.help || ui.article {
        match key.code {
            KeyCode::Down | KeyCode::Char('j') => ui.scroll = ui.scroll.saturating_add(1),
            KeyCode::Up | KeyCode::Char('k') => ui.scroll = ui.scroll.saturating_sub(1),
            KeyCode::PageDown | KeyCode::Char(' ') => ui.scroll = ui.scroll.saturating_add(10),
            KeyCode::PageUp => ui.scroll = ui.scroll.saturating_sub(10),
            _ => {
                ui.help = false;
                ui.article = false;
            }
        }
        return Ok(false);
    }
    match key.code {
        KeyCode::Char(c @ '1'..='4') => {
            let label = Label::ALL[c as usize - '1' as usize];
            ui.status = match session.answer(label)? {
                Some(a) => format!("saved {}#{} as {}", a.article, a.index, info.name(label)),
                None => "every sentence is labelled (q quits)".into(),
            };
        }
        KeyCode::Char('u') => {
            ui.status = match session.undo()? {
                Some(a) => format!("undone {}#{} ({})", a.article, a.index, info.name(a.label)),
                None => "nothing to undo".into(),
            };
        }
        KeyCode::Char('s') => {
            if let Some(it) = session.current_item() {
                ui.status = format!(
                    "skipped {}#{} (shown again at the end)",
                    it.article, it.index
                );
            }
            session.skip();
        }
        KeyCode::Char('?') => {
            ui.help = true;
            ui.scroll = 0;
        }
        KeyCode::Char('a') => {
            if let Some(it) = session.current_item() {
                ui.article = true;
                ui.scroll = u16::try_from(it.index.saturating_sub(2)).unwrap_or(u16::MAX);
            }
        }
        KeyCode::Char('q') | KeyCode::Esc => return Ok(true),
        _ => ui.status = "keys: 1-4 label, u undo, s skip, a article, ? rules, q quit".into(),
    }
    Ok(false)
}

/// Draws the screen.
pub fn draw(frame: &mut Frame, session: &Session, info: &ClaimInfo, ui: &Ui) {
    let [head, body, roles, foot] = Layout::vertical([
        Constraint::Length(4),
        Constraint::Min(6),
        Constraint::Length(10),
        Constraint::Length(2),
    ])
    .areas(frame.area());

    let total = session.items().len();
    let order = match session.order() {
        Order::Article => "article order".to_string(),
        Order::Uncertainty => {
            let mut s = format!("least certain first (model round {})", session.rounds());
            if session.is_retraining() {
                s.push_str(", retraining...");
            }
            if session.retrain_error().is_some() {
                s.push_str(", last retraining failed");
            }
            s
        }
    };
    let header = Text::from(vec![
        Line::from(vec![
            Span::styled(
                "claimtrack annotate",
                Style::new().add_modifier(Modifier::BOLD),
            ),
            Span::raw(format!(
                "  pass {}  {}/{} labelled  {}",
                session.journal().annotator(),
                session.answered(),
                total,
                order
            )),
        ]),
        Line::from(vec![
            Span::styled("Claim: ", Style::new().add_modifier(Modifier::BOLD)),
            Span::raw(info.claim.as_str()),
        ]),
    ]);
    frame.render_widget(Paragraph::new(header).wrap(Wrap { trim: false }), head);

    let dim = Style::new().fg(Color::DarkGray);
    match session.current_item() {
        Some(it) => {
            let mut lines = vec![Line::from(vec![
                Span::styled("Headline: ", Style::new().add_modifier(Modifier::BOLD)),
                Span::raw(it.headline.clone().unwrap_or_else(|| "(none)".into())),
            ])];
            lines.push(Line::raw(""));
            lines.push(Line::styled(
                format!("  {}", it.prev.as_deref().unwrap_or("(start of article)")),
                dim,
            ));
            lines.push(Line::styled(
                format!("> {}", it.text),
                Style::new().fg(Color::Yellow).add_modifier(Modifier::BOLD),
            ));
            lines.push(Line::styled(
                format!("  {}", it.next.as_deref().unwrap_or("(end of article)")),
                dim,
            ));
            let title = format!(
                " {} | {} | sentence {} ({}) ",
                it.article,
                it.outlet,
                it.index,
                it.role.as_str()
            );
            frame.render_widget(
                Paragraph::new(lines)
                    .wrap(Wrap { trim: false })
                    .block(Block::bordered().title(title)),
                body,
            );
        }
        None => frame.render_widget(
            Paragraph::new("Every sentence is labelled. Press q to quit.").block(Block::bordered()),
            body,
        ),
    }

    let role_lines: Vec<Line> = Label::ALL
        .iter()
        .map(|&l| {
            Line::from(vec![
                Span::styled(
                    format!("{} {:<18}", l.index() + 1, info.name(l)),
                    Style::new().add_modifier(Modifier::BOLD),
                ),
                Span::raw(info.descriptions[l.index()].as_str()),
            ])
        })
        .collect();
    frame.render_widget(
        Paragraph::new(role_lines)
            .wrap(Wrap { trim: false })
            .block(Block::bordered().title(" labels ")),
        roles,
    );

    let footer = Text::from(vec![
        Line::styled(
            "1-4 label   u undo   s skip   a whole article   ? rules   q quit",
            Style::new().add_modifier(Modifier::BOLD),
        ),
        Line::raw(ui.status.as_str()),
    ]);
    frame.render_widget(Paragraph::new(footer), foot);

    if let (true, Some(cur)) = (ui.article, session.current_item()) {
        let lines: Vec<Line> = session
            .items()
            .iter()
            .filter(|it| it.article == cur.article)
            .map(|it| {
                let text = format!("{:>3} {:<8} {}", it.index, it.role.as_str(), it.text);
                if it.index == cur.index {
                    Line::styled(
                        text,
                        Style::new().fg(Color::Yellow).add_modifier(Modifier::BOLD),
                    )
                } else {
                    Line::raw(text)
                }
            })
            .collect();
        let area = inset(frame.area());
        frame.render_widget(Clear, area);
        frame.render_widget(
            Paragraph::new(lines)
                .wrap(Wrap { trim: false })
                .scroll((ui.scroll, 0))
                .block(Block::bordered().title(format!(
                    " {} (up/down scroll, any other key closes) ",
                    cur.article
                ))),
            area,
        );
    }
    if ui.help {
        let area = inset(frame.area());
        frame.render_widget(Clear, area);
        frame.render_widget(
            Paragraph::new(info.rules.as_str())
                .wrap(Wrap { trim: false })
                .scroll((ui.scroll, 0))
                .block(Block::bordered().title(" rules (up/down scroll, any other key closes) ")),
            area,
        );
    }
}

fn inset(r: Rect) -> Rect {
    let dx = r.width / 12;
    let dy = r.height / 12;
    Rect::new(
        r.x + dx,
        r.y + dy,
        r.width.saturating_sub(2 * dx),
        r.height.saturating_sub(2 * dy),
    )
}

/// Leaves the terminal as it was found, also when the loop ends with an error.
struct Restore;

impl Drop for Restore {
    fn drop(&mut self) {
        let _ = ratatui::crossterm::terminal::disable_raw_mode();
        let _ = ratatui::crossterm::execute!(
            std::io::stdout(),
            ratatui::crossterm::terminal::LeaveAlternateScreen,
            ratatui::crossterm::cursor::Show
        );
    }
}

/// Runs the session on the terminal until `q` (or every sentence is labelled and `q` is
/// pressed). Each answer is on disk before the next sentence is drawn.
pub fn run(session: &mut Session, info: &ClaimInfo) -> Result<(), AnnotateError> {
    let term = AnnotateError::Terminal;
    ratatui::crossterm::terminal::enable_raw_mode().map_err(term)?;
    let _restore = Restore;
    ratatui::crossterm::execute!(
        std::io::stdout(),
        ratatui::crossterm::terminal::EnterAlternateScreen
    )
    .map_err(term)?;
    let backend = ratatui::backend::CrosstermBackend::new(std::io::stdout());
    let mut terminal = ratatui::Terminal::new(backend).map_err(term)?;
    let mut ui = Ui::default();
    loop {
        session.poll();
        terminal
            .draw(|f| draw(f, session, info, &ui))
            .map_err(term)?;
        if !event::poll(Duration::from_millis(100)).map_err(term)? {
            continue;
        }
        if let Event::Key(k) = event::read().map_err(term)? {
            if on_key(session, info, &mut ui, k)? {
                return Ok(());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::annotate::journal::Journal;
    use crate::annotate::queue::load_items;
    use ratatui::backend::TestBackend;
    use ratatui::Terminal;

    fn info() -> ClaimInfo {
        ClaimInfo {
            claim: "The minister took the bribe.".into(),
            names: [
                "bribe_claim".into(),
                "official_denial".into(),
                "doubt".into(),
                "context".into(),
            ],
            descriptions: [
                "Says he took it.".into(),
                "Officials deny it.".into(),
                "Others doubt it.".into(),
                "Everything else.".into(),
            ],
            rules: "RULES TEXT line one".into(),
        }
    }

    fn screen(t: &Terminal<TestBackend>) -> String {
        let b = t.backend().buffer();
        let mut s = String::new();
        for y in 0..b.area.height {
            for x in 0..b.area.width {
                s.push_str(b[(x, y)].symbol());
            }
            s.push('\n');
        }
        s
    }

    fn key(c: char) -> KeyEvent {
        KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)
    }

    #[test]
    fn the_screen_shows_the_sentence_in_context_and_the_keys_label_undo_and_quit() {
        let d = tempfile::tempdir().unwrap();
        let arts = d.path().join("arts");
        std::fs::create_dir(&arts).unwrap();
        std::fs::write(
            arts.join("m1.txt"),
            "---\noutlet: Daily\n---\nMinister accused of bribe\n\nThe minister took the bribe, a witness said. His office denied it. Experts doubt the witness.\n",
        )
        .unwrap();
        let items = load_items(&[arts.as_path()]).unwrap();
        let pass = d.path().join("pass.jsonl");
        let (j, _) = Journal::open(&pass, "ann").unwrap();
        let mut s = Session::new(items, j, Order::Article, None, None);
        let info = info();
        let mut ui = Ui::default();
        let mut t = Terminal::new(TestBackend::new(100, 30)).unwrap();
        t.draw(|f| draw(f, &s, &info, &ui)).unwrap();
        let first = screen(&t);
        assert!(first.contains("0/4 labelled"), "{first}");
        assert!(
            first.contains("Claim: The minister took the bribe."),
            "{first}"
        );
        assert!(
            first.contains("m1 | Daily | sentence 0 (headline)"),
            "{first}"
        );
        assert!(first.contains("> Minister accused of bribe"), "{first}");
        assert!(first.contains("2 official_denial"), "{first}");
        assert!(first.contains("Others doubt it."), "{first}");
        // Label the headline and the lede's first sentence; the second is then shown
        // between them.
        assert!(!on_key(&mut s, &info, &mut ui, key('1')).unwrap());
        assert!(!on_key(&mut s, &info, &mut ui, key('1')).unwrap());
        assert_eq!(ui.status, "saved m1#1 as bribe_claim");
        t.draw(|f| draw(f, &s, &info, &ui)).unwrap();
        let next = screen(&t);
        assert!(next.contains("2/4 labelled"), "{next}");
        assert!(
            next.contains("  The minister took the bribe, a witness said."),
            "{next}"
        );
        assert!(next.contains("> His office denied it."), "{next}");
        assert!(next.contains("  Experts doubt the witness."), "{next}");
        // Undo brings back the sentence labelled last.
        on_key(&mut s, &info, &mut ui, key('u')).unwrap();
        assert_eq!(ui.status, "undone m1#1 (bribe_claim)");
        assert_eq!(s.current_item().unwrap().index, 1);
        // The rules overlay opens and closes without labelling anything.
        on_key(&mut s, &info, &mut ui, key('?')).unwrap();
        t.draw(|f| draw(f, &s, &info, &ui)).unwrap();
        assert!(screen(&t).contains("RULES TEXT line one"));
        on_key(&mut s, &info, &mut ui, key('2')).unwrap();
        assert!(!ui.help);
        assert_eq!(s.answered(), 1);
        // The whole article, the current sentence among the others.
        on_key(&mut s, &info, &mut ui, key('a')).unwrap();
        t.draw(|f| draw(f, &s, &info, &ui)).unwrap();
        let art = screen(&t);
        assert!(art.contains("m1 (up/down scroll"), "{art}");
        assert!(art.contains("  2 lede     His office denied it."), "{art}");
        assert!(
            art.contains("  3 body     Experts doubt the witness."),
            "{art}"
        );
        on_key(&mut s, &info, &mut ui, key('x')).unwrap();
        assert!(!ui.article);
        assert_eq!(s.answered(), 1);
        assert!(on_key(&mut s, &info, &mut ui, key('q')).unwrap());
        let text = std::fs::read_to_string(&pass).unwrap();
        assert_eq!(text.lines().count(), 1);
        assert!(text.contains("\"index\":0") && text.contains("\"label\":\"claim\""));
    }
}
