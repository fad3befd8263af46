//! Sentence splitting fit for news, and the roles of sentences in an article.
//!
//! [`split_line`] cuts one cleaned line (a paragraph) into sentences: it knows
//! abbreviations (U.S., Jan., Mr., Gen., St.), initials, decimals and money, quotes that
//! close after the period, ellipses and em-dashes. Sentences never span lines, and a line
//! without end punctuation (a headline, a heading, a bullet) is its own unit.
//! [`article_sentences`] runs the [`Cleaner`] and the splitter over an [`Article`] and
//! assigns each sentence its [`Role`].

use crate::article::Article;
use crate::clean::{is_heading_shaped, normalise_spaces, Cleaned, Cleaner};
use crate::sentence::{Role, Sentence};

/// How many body sentences, counted from the top, form the lede.
pub const LEDE_SENTENCES: usize = 2;

/// Abbreviations that (almost) never end a sentence: titles, months and place words. A
/// period after them continues the sentence whatever follows ("Gen. Gerasimov",
/// "Jan. 17", "St. Petersburg").
const NEVER_FINAL: &[&str] = &[
    "mr", "mrs", "ms", "dr", "prof", "gen", "lt", "col", "sgt", "capt", "cmdr", "adm", "maj",
    "gov", "sen", "rep", "pres", "amb", "st", "mt", "ft", "rev", "fr", "hon", "jan", "feb", "mar",
    "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "vs", "v", "approx", "dept",
    "e.g", "i.e", "cf",
];

/// Reference abbreviations that stand before a number ("No. 1", "Art. 5", "p. 12"). Some
/// are also plain words ("No. It is not true."), so the period continues the sentence only
/// when a numeral follows; before anything else it is an ordinary sentence end.
const BEFORE_NUMBER: &[&str] = &["no", "nos", "fig", "art", "para", "ch", "vol", "pp", "p"];

/// Abbreviations that may end a sentence: split after them only when a typical
/// sentence-initial word follows.
const MAYBE_FINAL: &[&str] = &["inc", "corp", "co", "ltd", "llc", "jr", "sr", "etc", "bros"];

/// Closed-class words that typically start a sentence: determiners, pronouns,
/// conjunctions, prepositions and sentence adverbs. After an abbreviation that may or
/// may not end the sentence (a dotted acronym such as "U.S.", a company suffix, a single
/// initial) only one of these marks a new sentence. Content words are deliberately absent:
/// a capitalised noun or name after "U.S." continues the noun phrase ("U.S. President
/// Joe Biden", "U.S. Secretary of State", "U.N. Security Council"), and a surname follows
/// an initial ("Vladimir V. Putin").
const STARTERS: &[&str] = &[
    "the",
    "this",
    "that",
    "these",
    "those",
    "he",
    "she",
    "it",
    "they",
    "we",
    "i",
    "you",
    "but",
    "and",
    "in",
    "on",
    "at",
    "a",
    "an",
    "however",
    "meanwhile",
    "still",
    "yet",
    "so",
    "as",
    "if",
    "when",
    "while",
    "there",
    "his",
    "her",
    "its",
    "their",
    "our",
    "after",
    "before",
    "since",
    "for",
    "according",
    "what",
    "why",
    "how",
    "some",
    "many",
    "both",
    "no",
    "last",
    "earlier",
    "later",
    "despite",
    "although",
    "other",
    "one",
    "two",
    "several",
];

const CLOSERS: &[char] = &['"', '”', '’', '\'', ')', ']', '»'];

/// Splits one line of text into sentences. Every non-space character of the line ends up
/// in exactly one sentence, in order; no sentence is empty.
pub fn split_line(line: &str) -> Vec<String> {
    let chars: Vec<(usize, char)> = line.char_indices().collect();
    let mut out = Vec::new();
    let mut start = 0usize; // byte offset of the current sentence
    let mut i = 0usize;
    while i < chars.len() {
        let (_, c) = chars[i];
        if !matches!(c, '.' | '!' | '?' | '…') {
            i += 1;
            continue;
        }
        // Extend over runs of terminators ("?!", "...") and closing quotes/brackets.
        let term_start = i;
        let mut j = i;
        while j < chars.len() && matches!(chars[j].1, '.' | '!' | '?' | '…') {
            j += 1;
        }
        while j < chars.len() && CLOSERS.contains(&chars[j].1) {
            j += 1;
        }
        // A boundary needs white space (or the end of the line) after it.
        if j < chars.len() && !chars[j].1.is_whitespace() {
            i = j.max(i + 1);
            continue;
        }
        let mut k = j;
        while k < chars.len() && chars[k].1.is_whitespace() {
            k += 1;
        }
        if k >= chars.len() {
            break; // the rest of the line is the last sentence
        }
        let next = chars[k].1;
        let end_byte = if j < chars.len() {
            chars[j].0
        } else {
            line.len()
        };
        let opens_sentence = (next.is_alphabetic() && !next.is_lowercase())
            || next.is_ascii_digit()
            || matches!(
                next,
                '"' | '“'
                    | '‘'
                    | '\''
                    | '('
                    | '['
                    | '«'
                    | '•'
                    | '-'
                    | '–'
                    | '—'
                    | '*'
                    | '$'
                    | '€'
                    | '£'
            );
        let is_boundary = if !opens_sentence {
            false
        } else {
            let single_period = chars[term_start].1 == '.'
                && j - term_start - count_closers(&chars[term_start..j]) == 1;
            if single_period {
                let word = word_before(line, chars[term_start].0);
                let next_word = word_at(line, chars[k].0);
                period_ends_sentence(&word, &next_word)
            } else {
                true
            }
        };
        if is_boundary {
            let s = line[start..end_byte].trim();
            if !s.is_empty() {
                out.push(s.to_string());
            }
            start = chars[k].0;
        }
        i = j.max(i + 1);
    }
    let rest = line[start..].trim();
    if !rest.is_empty() {
        out.push(rest.to_string());
    }
    out
}

fn count_closers(cs: &[(usize, char)]) -> usize {
    cs.iter().filter(|(_, c)| CLOSERS.contains(c)).count()
}

/// The token right before byte offset `end` (the period), without leading punctuation.
fn word_before(line: &str, end: usize) -> String {
    let head = &line[..end];
    let start = head
        .char_indices()
        .rev()
        .find(|(_, c)| c.is_whitespace() || matches!(c, '(' | '[' | '"' | '“' | '‘' | '—' | '–'))
        .map(|(i, c)| i + c.len_utf8())
        .unwrap_or(0);
    head[start..].to_string()
}

/// The word starting at byte offset `start`, letters only, lower-cased.
fn word_at(line: &str, start: usize) -> String {
    line[start..]
        .chars()
        .skip_while(|c| !c.is_alphanumeric())
        .take_while(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// Whether a single period after `word` ends the sentence, given the word that follows
/// (`next_word`, lower-cased letters and digits; empty when the next token starts with
/// punctuation). The rule, by the kind of word before the period:
///
/// - a title, month or place abbreviation ([`NEVER_FINAL`]): never;
/// - a number abbreviation ([`BEFORE_NUMBER`], "No.", "Art."): only when no numeral
///   follows ("No. 1" continues, "No. It is not true." ends);
/// - a single capital initial, a dotted acronym ("U.S.", "U.N.", "a.m.") or a company
///   suffix ([`MAYBE_FINAL`]): only before a closed-class sentence starter ([`STARTERS`]:
///   "The", "He", "In", "But" ...). "talks with U.S. President Donald Trump" and
///   "Vladimir V. Putin" continue; "announced in the U.K. The U.S. followed." and
///   "he wrote on X. The post ..." end;
/// - any other word: always.
fn period_ends_sentence(word: &str, next_word: &str) -> bool {
    if word.is_empty() {
        return true;
    }
    let lower = word.to_lowercase();
    let bare = lower.trim_end_matches('.');
    if NEVER_FINAL.contains(&bare) {
        return false;
    }
    if BEFORE_NUMBER.contains(&bare) {
        return !next_word.starts_with(|c: char| c.is_ascii_digit());
    }
    // A single capital letter is an initial ("John F. Kennedy") unless a sentence starter
    // follows ("Plan B. The rest ...").
    let letters: Vec<char> = word.chars().collect();
    let initial = letters.len() == 1 && letters[0].is_uppercase();
    // Dotted acronyms ("U.S.", "a.m.") and company suffixes: split only before a word
    // that typically starts a sentence.
    let dotted = word.contains('.')
        && word
            .split('.')
            .all(|p| p.chars().count() <= 2 && p.chars().all(char::is_alphabetic));
    if initial || dotted || MAYBE_FINAL.contains(&bare) {
        return STARTERS.contains(&next_word);
    }
    true
}

/// Cleans and splits an article into its sentences, with roles: the title (when given)
/// or a first line shaped like a headline is the `headline`; later lines without end
/// punctuation are `heading`s; the first [`LEDE_SENTENCES`] body sentences are the
/// `lede`; the rest is `body`. The last line is never a heading (scraped excerpts often
/// stop mid-sentence).
pub fn article_sentences(article: &Article, cleaner: &Cleaner) -> (Vec<Sentence>, Cleaned) {
    let cleaned = cleaner.clean(&article.text, article.title.as_deref());
    let sentences = sentences_from_cleaned(article, &cleaned);
    (sentences, cleaned)
}

/// Splits already-cleaned lines of `article` into sentences with roles (see
/// [`article_sentences`]).
pub fn sentences_from_cleaned(article: &Article, cleaned: &Cleaned) -> Vec<Sentence> {
    let mut out: Vec<Sentence> = Vec::new();
    let mut push = |role: Role, text: String| {
        let index = out.len();
        out.push(Sentence {
            article: article.id.clone(),
            outlet: article.outlet.clone(),
            date: article.date.clone(),
            index,
            role,
            text,
        });
    };
    let mut have_headline = false;
    if let Some(title) = article.title.as_deref() {
        let t = normalise_spaces(title);
        if !t.is_empty() {
            push(Role::Headline, t);
            have_headline = true;
        }
    }
    let mut body_count = 0usize;
    let last = cleaned.lines.len().saturating_sub(1);
    for (n, line) in cleaned.lines.iter().enumerate() {
        // The last line of an excerpt that stops mid-sentence is not a heading.
        let heading = is_heading_shaped(&line.text) && (n < last || n == 0);
        if heading && n == 0 && !have_headline {
            push(Role::Headline, line.text.clone());
            have_headline = true;
            continue;
        }
        if heading {
            push(Role::Heading, line.text.clone());
            continue;
        }
        for s in split_line(&line.text) {
            let role = if body_count < LEDE_SENTENCES {
                Role::Lede
            } else {
                Role::Body
            };
            body_count += 1;
            push(role, s);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(line: &str, want: &[&str]) {
        let got = split_line(line);
        assert_eq!(got, want, "splitting {line:?}");
    }

    #[test]
    fn abbreviations_initials_numbers() {
        check(
            "U.S. officials said they were unaware. The Kremlin declined to comment.",
            &[
                "U.S. officials said they were unaware.",
                "The Kremlin declined to comment.",
            ],
        );
        check(
            "The signals were relayed to senior U.S. officials last month.",
            &["The signals were relayed to senior U.S. officials last month."],
        );
        check(
            "He spoke at the forum on Jan. 17 in Davos. Blinken agreed.",
            &[
                "He spoke at the forum on Jan. 17 in Davos.",
                "Blinken agreed.",
            ],
        );
        check(
            "Mr. Peskov and Gen. Gerasimov met in St. Petersburg on Feb. 3.",
            &["Mr. Peskov and Gen. Gerasimov met in St. Petersburg on Feb. 3."],
        );
        check(
            "John F. Kennedy met Nikita S. Khrushchev. It went badly.",
            &[
                "John F. Kennedy met Nikita S. Khrushchev.",
                "It went badly.",
            ],
        );
        check(
            "President Biden requested $61.4 billion in aid. That is 18% of the total.",
            &[
                "President Biden requested $61.4 billion in aid.",
                "That is 18% of the total.",
            ],
        );
        check(
            "The deal was announced in the U.K. The U.S. followed.",
            &["The deal was announced in the U.K.", "The U.S. followed."],
        );
        check(
            "Russia spends about 40.5% of its budget on the military. Kyiv spends less.",
            &[
                "Russia spends about 40.5% of its budget on the military.",
                "Kyiv spends less.",
            ],
        );
        check(
            "The meeting starts at 10 a.m. on Monday.",
            &["The meeting starts at 10 a.m. on Monday."],
        );
        check(
            "Gazprom Inc. lost money. Prices fell.",
            &["Gazprom Inc. lost money.", "Prices fell."],
        );
    }

    #[test]
    fn dotted_acronym_before_a_title_or_name_continues() {
        // Class 1: "U.S." (and other dotted acronyms) before a capitalised noun or name.
        check(
            "The Kremlin said he might consider it in discussions with U.S. President-elect Donald Trump.",
            &["The Kremlin said he might consider it in discussions with U.S. President-elect Donald Trump."],
        );
        check(
            "However, reports suggest outgoing U.S. President Joe Biden’s decision could complicate any settlement.",
            &["However, reports suggest outgoing U.S. President Joe Biden’s decision could complicate any settlement."],
        );
        check(
            "Current U.S. Officials said nothing. Putin met U.K. Prime Minister Starmer.",
            &[
                "Current U.S. Officials said nothing.",
                "Putin met U.K. Prime Minister Starmer.",
            ],
        );
        check(
            "He wrote to the E.U. Commission and the U.N. Secretary-General.",
            &["He wrote to the E.U. Commission and the U.N. Secretary-General."],
        );
        // A closed-class starter after the acronym still ends the sentence.
        check(
            "Talks were held in the U.S. The next day, Moscow denied them.",
            &[
                "Talks were held in the U.S.",
                "The next day, Moscow denied them.",
            ],
        );
        check(
            "Russia sent signals to the U.S. According to two sources, Putin is open to talks.",
            &[
                "Russia sent signals to the U.S.",
                "According to two sources, Putin is open to talks.",
            ],
        );
        check(
            "It was a deal for the U.S. “We agree,” he said.",
            &["It was a deal for the U.S.", "“We agree,” he said."],
        );
    }

    #[test]
    fn number_abbreviations_continue_only_before_a_numeral() {
        // Class 2: "No." (and "Art.", "p.") abbreviate a number only before a numeral.
        check(
            "\"No. It is not true,\" Peskov said.",
            &["\"No.", "It is not true,\" Peskov said."],
        );
        check(
            "He lives at No. 10 Downing Street. Art. 5 applies.",
            &["He lives at No. 10 Downing Street.", "Art. 5 applies."],
        );
        check(
            "Mr. Putin said no. The talks ended.",
            &["Mr. Putin said no.", "The talks ended."],
        );
        check(
            "See the table on p. 12 of the report.",
            &["See the table on p. 12 of the report."],
        );
    }

    #[test]
    fn initials_end_a_sentence_only_before_a_starter() {
        // Class 3: single capital initials continue into a surname, but end the sentence
        // before a closed-class starter.
        check(
            "Dmitri S. Peskov, the Kremlin’s spokesman, and Vladimir V. Putin met.",
            &["Dmitri S. Peskov, the Kremlin’s spokesman, and Vladimir V. Putin met."],
        );
        check(
            "Zelensky wrote on X. The post was deleted.",
            &["Zelensky wrote on X.", "The post was deleted."],
        );
        check(
            "Kyiv has a Plan B. But it is costly.",
            &["Kyiv has a Plan B.", "But it is costly."],
        );
    }

    #[test]
    fn quotes_close_after_the_period() {
        check(
            "“It will be up to Ukraine to decide.” The NSC said so.",
            &["“It will be up to Ukraine to decide.”", "The NSC said so."],
        );
        check(
            "“We are unaware of the shifts in Russia’s position described,” Watson said. “It will be up to Ukraine.”",
            &[
                "“We are unaware of the shifts in Russia’s position described,” Watson said.",
                "“It will be up to Ukraine.”",
            ],
        );
        check(
            "\"Is he serious?\" she asked. Nobody knew.",
            &["\"Is he serious?\" she asked.", "Nobody knew."],
        );
        check(
            "The Americans didn’t believe Putin was genuine about a ceasefire – but he was and is. “It’s a classic Russian play.”",
            &[
                "The Americans didn’t believe Putin was genuine about a ceasefire – but he was and is.",
                "“It’s a classic Russian play.”",
            ],
        );
        check(
            "He said (in private) that talks were possible.) Then he left.",
            &[
                "He said (in private) that talks were possible.)",
                "Then he left.",
            ],
        );
    }

    #[test]
    fn dashes_ellipses_and_exclamations() {
        check(
            "Russia would require control over territory — around 18% of the country — something Kyiv opposes.",
            &["Russia would require control over territory — around 18% of the country — something Kyiv opposes."],
        );
        check(
            "He paused... then went on. Nobody answered… Silence.",
            &["He paused... then went on.", "Nobody answered…", "Silence."],
        );
        check(
            "Victory will be ours! The crowd cheered.",
            &["Victory will be ours!", "The crowd cheered."],
        );
        check(
            "Why now?! Analysts wonder.",
            &["Why now?!", "Analysts wonder."],
        );
    }

    #[test]
    fn no_period_and_odd_lines() {
        check(
            "Putin’s Intentions and US Response",
            &["Putin’s Intentions and US Response"],
        );
        check(
            "• Russia signalled openness to talks",
            &["• Russia signalled openness to talks"],
        );
        check(
            "ST. PETERSBURG, June 17. /TASS/. Russian President Vladimir Putin spoke.",
            &[
                "ST. PETERSBURG, June 17. /TASS/.",
                "Russian President Vladimir Putin spoke.",
            ],
        );
        check(
            "It cited two people close to the Kremlin as saying Putin",
            &["It cited two people close to the Kremlin as saying Putin"],
        );
        check(
            "version 2.0.1 was released.",
            &["version 2.0.1 was released."],
        );
        check("   ", &[]);
        check(".", &["."]);
        check(
            "The score was 3-1. 2024 was a bad year.",
            &["The score was 3-1.", "2024 was a bad year."],
        );
        check(
            "Track II talks. Track 2 initiatives.",
            &["Track II talks.", "Track 2 initiatives."],
        );
        check(
            "He wrote to the U.N. Security Council.",
            &["He wrote to the U.N. Security Council."],
        );
    }

    #[test]
    fn loses_no_text() {
        let line = "A. B. c? “D.” (e) f… G!! h. I.";
        let joined: String = split_line(line)
            .concat()
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        let orig: String = line.chars().filter(|c| !c.is_whitespace()).collect();
        assert_eq!(joined, orig);
    }

    #[test]
    fn roles_from_title_headline_lede_heading() {
        let cleaner = Cleaner::default();
        let mut a = Article {
            id: "x".into(),
            outlet: "O".into(),
            date: None,
            url: None,
            title: None,
            meta: Default::default(),
            text: "A headline without a period\n\nFirst sentence. Second sentence. Third sentence.\nA Section Heading\nFourth sentence.\n".into(),
            source: "x.txt".into(),
            text_line_offset: 0,
            outlet_as_given: None,
        };
        let (s, _) = article_sentences(&a, &cleaner);
        let roles: Vec<Role> = s.iter().map(|s| s.role).collect();
        assert_eq!(
            roles,
            [
                Role::Headline,
                Role::Lede,
                Role::Lede,
                Role::Body,
                Role::Heading,
                Role::Body
            ]
        );
        assert_eq!(
            s.iter().map(|s| s.index).collect::<Vec<_>>(),
            [0, 1, 2, 3, 4, 5]
        );
        a.title = Some("The Title".into());
        let (s, _) = article_sentences(&a, &cleaner);
        assert_eq!(s[0].text, "The Title");
        assert_eq!(s[0].role, Role::Headline);
        assert_eq!(s[1].role, Role::Heading);
    }
}
