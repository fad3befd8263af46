//! One annotator's labelling session: which sentence is next, answering, undo, skip, resuming
//! from the pass file, and retraining the model in a background thread every N answers so
//! the uncertainty order follows what the annotator has taught it. Nothing here waits for
//! the retraining unless asked ([`Session::wait_retraining`], for scripts and tests): the
//! caller polls ([`Session::poll`]) between keys.

use super::journal::{Answer, Journal};
use super::queue::{ordering, Item, Order};
use super::AnnotateError;
use crate::evaluate::{fit_with_heads, Heads};
use crate::gold::Example;
use crate::label::Label;
use crate::model::{Model, ModelParams};
use std::collections::{HashMap, HashSet};
use std::sync::mpsc::{channel, Receiver, TryRecvError};
use std::sync::Arc;

/// How the model is retrained during a session.
#[derive(Debug, Clone)]
pub struct Retraining {
    /// The project's gold examples (answers of this pass replace their labels).
    pub base: Vec<Example>,
    /// Training settings (those of the model the session started with).
    pub params: ModelParams,
    /// Fit a probability calibration too.
    pub calibrate: bool,
    /// Retrain after this many new answers (at least 1).
    pub every: usize,
}

type RetrainResult = Result<Vec<[f64; 4]>, String>;

/// A labelling session over a fixed list of sentences.
#[derive(Debug)]
pub struct Session {
    items: Arc<Vec<Item>>,
    by_key: HashMap<(String, usize), usize>,
    order: Order,
    probs: Option<Vec<[f64; 4]>>,
    sequence: Vec<usize>,
    journal: Journal,
    answered: HashSet<usize>,
    unmatched: usize,
    skipped: Vec<usize>,
    front: Option<usize>,
    retraining: Option<Retraining>,
    since_retrain: usize,
    running: Option<Receiver<RetrainResult>>,
    rounds: usize,
    retrain_error: Option<String>,
}

/// The probabilities of every item under `model`, each article's sentences taken together.
pub fn predict_items(model: &Model, items: &[Item]) -> Vec<[f64; 4]> {
    let mut out = Vec::with_capacity(items.len());
    let mut start = 0;
    while start < items.len() {
        let end = items[start..]
            .iter()
            .position(|i| i.article != items[start].article)
            .map_or(items.len(), |n| start + n);
        let texts: Vec<&str> = items[start..end].iter().map(|i| i.text.as_str()).collect();
        out.extend(model.predict_article(&texts));
        start = end;
    }
    out
}

impl Session {
    /// Starts (or resumes) a session: sentences already answered in the pass file are not
    /// shown again. `model` gives the first uncertainty order (without one, article order);
    /// `retraining` retrains it as answers come in.
    pub fn new(
        items: Vec<Item>,
        journal: Journal,
        order: Order,
        model: Option<&Model>,
        retraining: Option<Retraining>,
    ) -> Session {
        let by_key = items
            .iter()
            .enumerate()
            .map(|(i, it)| ((it.article.clone(), it.index), i))
            .collect();
        let probs = match (order, model) {
            (Order::Uncertainty, Some(m)) => Some(predict_items(m, &items)),
            _ => None,
        };
        let mut s = Session {
            sequence: ordering(items.len(), order, probs.as_deref()),
            items: Arc::new(items),
            by_key,
            order,
            probs,
            journal,
            answered: HashSet::new(),
            unmatched: 0,
            skipped: Vec::new(),
            front: None,
            retraining: retraining.filter(|_| order == Order::Uncertainty),
            since_retrain: 0,
            running: None,
            rounds: 0,
            retrain_error: None,
        };
        for a in s.journal.answers().to_vec() {
            match s.position_of(&a) {
                Some(p) => {
                    s.answered.insert(p);
                }
                None => s.unmatched += 1,
            }
        }
        s
    }

    fn position_of(&self, a: &Answer) -> Option<usize> {
        let p = *self.by_key.get(&(a.article.clone(), a.index))?;
        (self.items[p].hash == a.hash).then_some(p)
    }

    /// All sentences of the session, in article order.
    pub fn items(&self) -> &[Item] {
        &self.items
    }

    /// The pass file.
    pub fn journal(&self) -> &Journal {
        &self.journal
    }

    /// The order asked for.
    pub fn order(&self) -> Order {
        self.order
    }

    /// The position (in [`Session::items`]) of the sentence to show, `None` when every
    /// sentence is answered. Skipped sentences come back after all the others.
    pub fn current(&self) -> Option<usize> {
        if let Some(f) = self.front.filter(|f| !self.answered.contains(f)) {
            return Some(f);
        }
        let skipped: HashSet<usize> = self.skipped.iter().copied().collect();
        self.sequence
            .iter()
            .copied()
            .find(|p| !self.answered.contains(p) && !skipped.contains(p))
            .or_else(|| {
                self.skipped
                    .iter()
                    .copied()
                    .find(|p| !self.answered.contains(p))
            })
    }

    /// The sentence to show.
    pub fn current_item(&self) -> Option<&Item> {
        self.current().map(|p| &self.items[p])
    }

    /// The current model's probabilities for a sentence (uncertainty order only).
    pub fn probs(&self, position: usize) -> Option<[f64; 4]> {
        self.probs.as_ref().map(|p| p[position])
    }

    /// Sentences answered (of those in the session).
    pub fn answered(&self) -> usize {
        self.answered.len()
    }

    /// Answers in the pass file whose sentence is not among the session's (another article
    /// folder, or the text changed since).
    pub fn unmatched(&self) -> usize {
        self.unmatched
    }

    /// Labels the current sentence: the answer is on disk when this returns. Returns it, or
    /// `None` when nothing is left to label.
    pub fn answer(&mut self, label: Label) -> Result<Option<Answer>, AnnotateError> {
        let Some(p) = self.current() else {
            return Ok(None);
        };
        let it = &self.items[p];
        let a = Answer {
            article: it.article.clone(),
            url: it.url.clone(),
            index: it.index,
            hash: it.hash.clone(),
            label,
            annotator: self.journal.annotator().to_string(),
        };
        self.journal.append(a.clone())?;
        self.answered.insert(p);
        self.skipped.retain(|&s| s != p);
        if self.front == Some(p) {
            self.front = None;
        }
        self.since_retrain += 1;
        self.maybe_retrain();
        Ok(Some(a))
    }

    /// Takes back the last answer in the pass file (also one from before a restart); its
    /// sentence is shown next. Returns it, `None` when there is none.
    pub fn undo(&mut self) -> Result<Option<Answer>, AnnotateError> {
        let Some(a) = self.journal.undo()? else {
            return Ok(None);
        };
        match self.position_of(&a) {
            Some(p) => {
                self.answered.remove(&p);
                self.front = Some(p);
            }
            None => self.unmatched = self.unmatched.saturating_sub(1),
        }
        Ok(Some(a))
    }

    /// Puts the current sentence aside until every other one is answered (for this session).
    pub fn skip(&mut self) {
        if let Some(p) = self.current() {
            self.skipped.retain(|&s| s != p);
            self.skipped.push(p);
            if self.front == Some(p) {
                self.front = None;
            }
        }
    }

    /// True while a retraining runs in the background.
    pub fn is_retraining(&self) -> bool {
        self.running.is_some()
    }

    /// How many retrainings have finished.
    pub fn rounds(&self) -> usize {
        self.rounds
    }

    /// Why the last retraining failed, if it did (the previous order is kept).
    pub fn retrain_error(&self) -> Option<&str> {
        self.retrain_error.as_deref()
    }

    /// The examples the next retraining fits: the gold, with this pass's labels replacing
    /// the gold's on the same sentences, then this pass's other answers in the order given.
    pub fn training_examples(&self) -> Vec<Example> {
        let base = self.retraining.as_ref().map_or(&[][..], |r| &r.base[..]);
        let mut mine: HashMap<(String, usize), Label> = HashMap::new();
        let mut order: Vec<usize> = Vec::new();
        for a in self.journal.answers() {
            if let Some(p) = self.position_of(a) {
                if mine.insert((a.article.clone(), a.index), a.label).is_none() {
                    order.push(p);
                }
            }
        }
        let mut out: Vec<Example> = Vec::with_capacity(base.len() + order.len());
        for e in base {
            let mut e = e.clone();
            if let Some(l) = mine.remove(&(e.article.clone(), e.index)) {
                e.label = l;
            }
            out.push(e);
        }
        for p in order {
            let it = &self.items[p];
            if let Some(label) = mine.remove(&(it.article.clone(), it.index)) {
                out.push(Example {
                    text: it.text.clone(),
                    label,
                    article: it.article.clone(),
                    outlet: it.outlet.clone(),
                    index: it.index,
                    role: it.role,
                });
            }
        }
        out
    }

    fn maybe_retrain(&mut self) {
        let Some(r) = &self.retraining else { return };
        if self.running.is_some() || self.since_retrain < r.every.max(1) {
            return;
        }
        self.since_retrain = 0;
        let examples = self.training_examples();
        let params = r.params.clone();
        let heads = Heads {
            decoder: None,
            calibrate: r.calibrate,
        };
        let items = Arc::clone(&self.items);
        let (tx, rx) = channel();
        std::thread::spawn(move || {
            let res = fit_with_heads(&examples, &params, &heads)
                .map(|m| predict_items(&m, &items))
                .map_err(|e| e.to_string());
            let _ = tx.send(res);
        });
        self.running = Some(rx);
    }

    fn apply(&mut self, res: RetrainResult) {
        self.running = None;
        match res {
            Ok(p) => {
                // The sentence on screen stays until it is answered or skipped: a new order
                // never changes it under the annotator's key.
                if self.front.is_none() {
                    self.front = self.current();
                }
                self.sequence = ordering(self.items.len(), self.order, Some(&p));
                self.probs = Some(p);
                self.rounds += 1;
                self.retrain_error = None;
            }
            Err(e) => self.retrain_error = Some(e),
        }
        // Answers given meanwhile may already call for the next round.
        self.maybe_retrain();
    }

    /// Takes in a finished retraining, without waiting: the order of the sentences not yet
    /// answered follows the new model. Returns true when the order changed.
    pub fn poll(&mut self) -> bool {
        let Some(rx) = &self.running else {
            return false;
        };
        match rx.try_recv() {
            Ok(res) => {
                let ok = res.is_ok();
                self.apply(res);
                ok
            }
            Err(TryRecvError::Empty) => false,
            Err(TryRecvError::Disconnected) => {
                self.apply(Err("the retraining thread stopped".into()));
                false
            }
        }
    }

    /// Waits for a running retraining (and any it starts) to finish: the order is then a
    /// function of the answers alone, whatever the timing.
    pub fn wait_retraining(&mut self) {
        while let Some(rx) = self.running.take() {
            let res = rx
                .recv()
                .unwrap_or_else(|_| Err("the retraining thread stopped".into()));
            self.apply(res);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sentence::Role;

    fn items(n: usize) -> Vec<Item> {
        (0..n)
            .map(|i| Item {
                article: format!("a{}", i / 3),
                url: None,
                outlet: "O".into(),
                headline: None,
                index: i % 3,
                role: Role::Body,
                text: format!("sentence {i}"),
                hash: crate::gold::sentence_hash(&format!("sentence {i}")),
                prev: None,
                next: None,
            })
            .collect()
    }

    fn session(dir: &std::path::Path, n: usize) -> Session {
        let (j, _) = Journal::open(&dir.join("p.jsonl"), "ann").unwrap();
        Session::new(items(n), j, Order::Article, None, None)
    }

    fn shown(s: &Session) -> Option<String> {
        s.current_item()
            .map(|i| format!("{}#{}", i.article, i.index))
    }

    #[test]
    fn answers_undo_and_skip_move_through_the_sentences() {
        let d = tempfile::tempdir().unwrap();
        let mut s = session(d.path(), 4);
        assert_eq!(shown(&s).as_deref(), Some("a0#0"));
        s.answer(Label::Context).unwrap();
        s.skip();
        assert_eq!(shown(&s).as_deref(), Some("a0#2"));
        let a = s.answer(Label::UsDenial).unwrap().unwrap();
        assert_eq!((a.article.as_str(), a.index), ("a0", 2));
        assert_eq!(shown(&s).as_deref(), Some("a1#0"));
        // Undo brings the sentence back first.
        let u = s.undo().unwrap().unwrap();
        assert_eq!(u.index, 2);
        assert_eq!(shown(&s).as_deref(), Some("a0#2"));
        s.answer(Label::ExpertSkepticism).unwrap();
        s.answer(Label::Context).unwrap();
        // Only the skipped sentence is left.
        assert_eq!(shown(&s).as_deref(), Some("a0#1"));
        s.answer(Label::RussianClaim).unwrap();
        assert_eq!(s.current(), None);
        assert_eq!(s.answer(Label::Context).unwrap(), None);
        assert_eq!(s.answered(), 4);
        let labels: Vec<(usize, Label)> = s
            .journal()
            .answers()
            .iter()
            .map(|a| (a.index, a.label))
            .collect();
        assert_eq!(
            labels,
            [
                (0, Label::Context),
                (2, Label::ExpertSkepticism),
                (0, Label::Context),
                (1, Label::RussianClaim)
            ]
        );
    }

    #[test]
    fn a_restarted_session_resumes_where_the_last_one_stopped_and_undoes_across_it() {
        let d = tempfile::tempdir().unwrap();
        let mut s = session(d.path(), 6);
        s.answer(Label::Context).unwrap();
        s.answer(Label::UsDenial).unwrap();
        drop(s);
        let mut s = session(d.path(), 6);
        assert_eq!(s.answered(), 2);
        assert_eq!(shown(&s).as_deref(), Some("a0#2"));
        let u = s.undo().unwrap().unwrap();
        assert_eq!((u.index, u.label), (1, Label::UsDenial));
        assert_eq!(shown(&s).as_deref(), Some("a0#1"));
        drop(s);
        let s = session(d.path(), 6);
        assert_eq!(s.answered(), 1);
        assert_eq!(shown(&s).as_deref(), Some("a0#1"));
    }

    #[test]
    fn answers_to_changed_sentences_are_counted_not_matched() {
        let d = tempfile::tempdir().unwrap();
        let mut s = session(d.path(), 3);
        s.answer(Label::Context).unwrap();
        drop(s);
        let (j, _) = Journal::open(&d.path().join("p.jsonl"), "ann").unwrap();
        let mut changed = items(3);
        changed[0].hash = "sha256:ffffffffffffffff".into();
        let s = Session::new(changed, j, Order::Article, None, None);
        assert_eq!((s.answered(), s.unmatched()), (0, 1));
        assert_eq!(shown(&s).as_deref(), Some("a0#0"));
    }

    #[test]
    fn a_new_order_keeps_the_sentence_on_screen_until_it_is_answered() {
        let d = tempfile::tempdir().unwrap();
        let (j, _) = Journal::open(&d.path().join("p.jsonl"), "ann").unwrap();
        let mut s = Session::new(items(4), j, Order::Uncertainty, None, None);
        assert_eq!(shown(&s).as_deref(), Some("a0#0"));
        let sure = [0.97, 0.01, 0.01, 0.01];
        let unsure = [0.4, 0.4, 0.1, 0.1];
        s.apply(Ok(vec![sure, sure, sure, unsure]));
        assert_eq!(s.rounds(), 1);
        assert_eq!(shown(&s).as_deref(), Some("a0#0"));
        s.answer(Label::Context).unwrap();
        assert_eq!(shown(&s).as_deref(), Some("a1#0"));
        s.answer(Label::Context).unwrap();
        assert_eq!(shown(&s).as_deref(), Some("a0#1"));
    }

    #[test]
    fn training_examples_replace_gold_labels_and_add_new_sentences() {
        let d = tempfile::tempdir().unwrap();
        let (j, _) = Journal::open(&d.path().join("p.jsonl"), "ann").unwrap();
        let its = items(3);
        let base = vec![Example {
            text: its[1].text.clone(),
            label: Label::Context,
            article: "a0".into(),
            outlet: "O".into(),
            index: 1,
            role: Role::Body,
        }];
        let r = Retraining {
            base,
            params: ModelParams::default(),
            calibrate: false,
            every: 1000,
        };
        let mut s = Session::new(its, j, Order::Uncertainty, None, Some(r));
        s.answer(Label::UsDenial).unwrap(); // a0#0: new
        s.answer(Label::RussianClaim).unwrap(); // a0#1: replaces the gold label
        let ex: Vec<(usize, Label)> = s
            .training_examples()
            .iter()
            .map(|e| (e.index, e.label))
            .collect();
        assert_eq!(ex, [(1, Label::RussianClaim), (0, Label::UsDenial)]);
    }
}
