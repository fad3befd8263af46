//! What there is to label and in which order: every sentence of the articles, with its
//! article context ([`Item`]), and the two orders `annotate` offers ([`Order`]): article order,
//! or the model's uncertainty first (margin sampling: the smallest difference between the two
//! most probable labels first).

use super::AnnotateError;
use crate::article::{read_articles, IngestOptions};
use crate::clean::Cleaner;
use crate::gold::sentence_hash;
use crate::sentence::Role;
use crate::split::article_sentences;
use std::cmp::Ordering;
use std::path::Path;

/// One sentence to label, with what the screen shows around it.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    /// Article id.
    pub article: String,
    /// The article's address, when known.
    pub url: Option<String>,
    /// The article's outlet.
    pub outlet: String,
    /// The article's headline (its headline sentence, else its title), when it has one.
    pub headline: Option<String>,
    /// Sentence index in the article.
    pub index: usize,
    /// Position role (headline, lede, heading, body).
    pub role: Role,
    /// The sentence.
    pub text: String,
    /// Its [`sentence_hash`].
    pub hash: String,
    /// The sentence before it in the article.
    pub prev: Option<String>,
    /// The sentence after it.
    pub next: Option<String>,
}

/// The order in which sentences are shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    /// Articles in input order, sentences in article order.
    Article,
    /// The model's least certain sentences first: smallest margin between the two most
    /// probable labels, ties in article order.
    Uncertainty,
}

/// Every sentence of the articles under `dirs`, in article order (the articles cleaned and
/// split as `claimtrack sentences` does, so indexes and hashes match the gold's).
pub fn load_items(dirs: &[&Path]) -> Result<Vec<Item>, AnnotateError> {
    let mut warnings = Vec::new();
    let articles = read_articles(dirs, &IngestOptions::default(), &mut warnings)?;
    let cleaner = Cleaner::default();
    let mut items = Vec::new();
    for a in &articles {
        let (sentences, _) = article_sentences(a, &cleaner);
        let headline = sentences
            .iter()
            .find(|s| s.role == Role::Headline)
            .map(|s| s.text.clone())
            .or_else(|| a.title.clone());
        for (i, s) in sentences.iter().enumerate() {
            items.push(Item {
                article: a.id.clone(),
                url: a.url.clone(),
                outlet: a.outlet.clone(),
                headline: headline.clone(),
                index: s.index,
                role: s.role,
                text: s.text.clone(),
                hash: sentence_hash(&s.text),
                prev: i.checked_sub(1).map(|j| sentences[j].text.clone()),
                next: sentences.get(i + 1).map(|n| n.text.clone()),
            });
        }
    }
    Ok(items)
}

/// The difference between the two largest probabilities (0: the model cannot decide between
/// two labels; 1: it is sure).
pub fn margin(probs: &[f64; 4]) -> f64 {
    let mut p = *probs;
    p.sort_by(|a, b| b.total_cmp(a));
    p[0] - p[1]
}

/// Positions `0..n` in the order to show them: article order, or by increasing margin of
/// `probs` (one vector per position; ties keep article order). Without probabilities the
/// order is article order.
pub fn ordering(n: usize, order: Order, probs: Option<&[[f64; 4]]>) -> Vec<usize> {
    let mut pos: Vec<usize> = (0..n).collect();
    if let (Order::Uncertainty, Some(p)) = (order, probs) {
        let m: Vec<f64> = p.iter().map(margin).collect();
        pos.sort_by(|&a, &b| match m[a].total_cmp(&m[b]) {
            Ordering::Equal => a.cmp(&b),
            o => o,
        });
    }
    pos
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn margin_is_the_gap_between_the_two_most_probable_labels() {
        assert!((margin(&[0.1, 0.5, 0.3, 0.1]) - 0.2).abs() < 1e-12);
        assert_eq!(margin(&[0.25; 4]), 0.0);
        assert!((margin(&[1.0, 0.0, 0.0, 0.0]) - 1.0).abs() < 1e-12);
    }

    #[test]
    fn uncertainty_order_puts_the_smallest_margin_first_and_ties_in_article_order() {
        let probs = [
            [0.9, 0.05, 0.03, 0.02], // margin 0.85
            [0.4, 0.35, 0.2, 0.05],  // 0.05
            [0.3, 0.3, 0.2, 0.2],    // 0
            [0.6, 0.2, 0.1, 0.1],    // 0.4
            [0.4, 0.35, 0.2, 0.05],  // 0.05, tie with 1
        ];
        assert_eq!(
            ordering(5, Order::Uncertainty, Some(&probs)),
            [2, 1, 4, 3, 0]
        );
        assert_eq!(ordering(5, Order::Article, Some(&probs)), [0, 1, 2, 3, 4]);
        assert_eq!(ordering(3, Order::Uncertainty, None), [0, 1, 2]);
    }

    #[test]
    fn items_carry_their_context_and_the_gold_hash() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(
            d.path().join("a1.txt"),
            "---\noutlet: Wire\nurl: https://example.org/a1\n---\nTalks offered, report says\n\nPutin is open to talks, sources said. The US denied it. Analysts doubt it.\n",
        )
        .unwrap();
        let items = load_items(&[d.path()]).unwrap();
        assert_eq!(items.len(), 4);
        assert_eq!(items[0].role, Role::Headline);
        let it = &items[2];
        assert_eq!(it.text, "The US denied it.");
        assert_eq!(it.hash, sentence_hash("The US denied it."));
        assert_eq!(
            it.prev.as_deref(),
            Some("Putin is open to talks, sources said.")
        );
        assert_eq!(it.next.as_deref(), Some("Analysts doubt it."));
        assert_eq!(it.headline.as_deref(), Some("Talks offered, report says"));
        assert_eq!(it.url.as_deref(), Some("https://example.org/a1"));
        assert_eq!(items[3].next, None);
        assert_eq!(items[0].prev, None);
    }
}
