//! Reading a form the way a person does: the label printed beside each place to write, and the
//! section heading it sits under.
//!
//! Authoring tools name fields `Text1`, `Text2`, `Check Box1`, `Signature1`; the only thing that
//! says what such a field is for is the page. [`PageLabels`] holds the text and drawing of every
//! page ([`crate::form::page_text`]) and answers, for a field's rectangle, what a reader takes
//! it to be ([`PageLabels::describe`]): its label (the line printed to its left on the same
//! band, else the line just above it) joined with its section heading (the nearest line above
//! that is bold, larger than the body text, or starts "Section", "Part", a number or a letter),
//! e.g. "Customer Microsoft ID". A checkbox is described by the sentence printed after it; a
//! signature field whose label and heading name no party by the nearest line that does.
//!
//! For a form without fields, [`PageLabels::writing_spaces`] finds where a person would write:
//! the rule or rectangle to the right of or below each label (else the free space after it up
//! to the next text on its line), a line or box named by the caption under it
//! ("Signature of the customer"),
//! the rectangles by "Signature", and the small squares before sentences.
//!
//! The profile proposal ([`crate::form::profile::propose_detailed`]) turns these descriptions
//! into roles with the same word lists it uses for field names and tooltips.

use crate::form::page_text::{PrintedPage, Segment, TextLine, read_pages};
use crate::form::vocabulary::{names_party, section_words, tokens};
use crate::pdf::{FieldKind, Rect};
use lopdf::Document;

/// How far (points) a label may sit to the left of its writing space.
const LEFT_REACH: f32 = 200.0;
/// How far above a writing space its label may sit (baseline above the space's top).
const ABOVE_REACH: f32 = 24.0;
/// How far (points) a caption's top may sit below the line or box it names, and how much
/// farther than a label before or above it a caption counts.
const CAPTION_GAP: f32 = 10.0;
const CAPTION_PENALTY: f32 = 12.0;
/// The side of a square read as a tick box, in points.
const SQUARE_MIN: f32 = 5.0;
const SQUARE_MAX: f32 = 20.0;

/// The text and drawing of every page of a form, and what a reader takes each place to be.
pub struct PageLabels {
    pages: Vec<PrintedPage>,
    /// The commonest text size: the body text that headings stand out from.
    body_size: f32,
}

/// A place to write on a form without fields, with what its label says.
#[derive(Debug, Clone, PartialEq)]
pub struct Spot {
    pub page: usize,
    pub rect: Rect,
    pub kind: FieldKind,
    /// The label (with its heading when the label names no party), or the sentence after a
    /// tick box.
    pub text: String,
}

impl PageLabels {
    pub fn read(doc: &Document) -> PageLabels {
        PageLabels::from_pages(read_pages(doc))
    }

    pub fn from_pages(pages: Vec<PrintedPage>) -> PageLabels {
        let mut sizes: Vec<f32> =
            pages.iter().flat_map(|p| p.lines.iter().map(|l| (l.size * 2.0).round() / 2.0)).collect();
        sizes.sort_by(f32::total_cmp);
        // The most frequent size (ties to the smaller): labels outnumber headings.
        let mut body_size = 10.0;
        let mut best = 0;
        let mut i = 0;
        while i < sizes.len() {
            let j = sizes[i..].iter().take_while(|s| **s == sizes[i]).count();
            if j > best {
                best = j;
                body_size = sizes[i];
            }
            i += j;
        }
        PageLabels { pages, body_size }
    }

    pub fn pages(&self) -> &[PrintedPage] {
        &self.pages
    }

    /// Whether the form prints any text at all.
    pub fn has_text(&self) -> bool {
        self.pages.iter().any(|p| !p.lines.is_empty())
    }

    fn page(&self, page: usize) -> Option<&PrintedPage> {
        self.pages.iter().find(|p| p.page == page)
    }

    /// A heading: bold, larger than the body text, or numbered like one ("Section 2",
    /// "Part B", "3.", "C)").
    pub fn is_heading(&self, line: &TextLine) -> bool {
        if line.text.chars().count() > 90 {
            return false;
        }
        line.bold || line.size > self.body_size * 1.15 || numbered_like_heading(&line.text)
    }

    /// What a reader takes the field at `rect` on `page` to be, as words for the role
    /// recogniser; `None` when the page prints nothing that says.
    pub fn describe(&self, page: usize, rect: Rect, kind: Option<FieldKind>) -> Option<String> {
        let p = self.page(page)?;
        match kind {
            Some(FieldKind::Checkbox) => self.sentence_after(p, rect),
            Some(FieldKind::Signature) => {
                let label = self.label_of(p, rect);
                let described = label.map(|l| self.with_heading(page, rect, l));
                match described {
                    Some(text) if names_party(&text) => Some(text),
                    other => {
                        let party = self.nearest_party_line(p, rect)?;
                        Some(format!("{party} {}", other.unwrap_or_else(|| "signature".to_string())))
                    }
                }
            }
            _ => self.label_of(p, rect).map(|l| self.with_heading(page, rect, l)),
        }
    }

    /// The label of a writing space: the nearest line ending to its left on the same band,
    /// else the nearest line just above it that starts over it.
    fn label_of<'a>(&self, p: &'a PrintedPage, rect: Rect) -> Option<&'a TextLine> {
        let left = p
            .lines
            .iter()
            .filter(|l| l.x2 <= rect.x1 + 2.0 && rect.x1 - l.x2 < LEFT_REACH)
            // The baseline within the field's band: a line level with the field's top belongs
            // to the row above (the label of the field to the left, printed over it).
            .filter(|l| l.y >= rect.y1 - 4.0 && l.y <= rect.y2 - 2.0)
            .filter(|l| !self.is_heading(l))
            .min_by(|a, b| (rect.x1 - a.x2).total_cmp(&(rect.x1 - b.x2)));
        let above = p
            .lines
            .iter()
            .filter(|l| l.y > rect.y2 - 2.0 && l.y <= rect.y2 + ABOVE_REACH)
            .filter(|l| l.x1 >= rect.x1 - 10.0 && l.x1 < rect.x2)
            .filter(|l| !self.is_heading(l))
            .min_by(|a, b| {
                (a.y - rect.y2)
                    .total_cmp(&(b.y - rect.y2))
                    .then((a.x1 - rect.x1).abs().total_cmp(&(b.x1 - rect.x1).abs()))
            });
        left.or(above)
    }

    /// `label` with the heading of its section in front, unless the label names its party
    /// itself. Section numbering ("Section 2.", "Part B –") is left out: its number is not a
    /// subscription's.
    fn with_heading(&self, page: usize, rect: Rect, label: &TextLine) -> String {
        if names_party(&label.text) {
            return label.text.clone();
        }
        let Some(h) = self.heading_above(page, rect.y2.max(label.y), rect) else { return label.text.clone() };
        let mut words = heading_words(&h.text);
        // A sub-heading ("Customer" in the signatures section) is read with the section it
        // belongs to: the nearest numbered or larger heading above it.
        if !numbered_like_heading(&h.text) {
            let h_page = self.pages.iter().find(|p| p.lines.iter().any(|l| std::ptr::eq(l, h))).map(|p| p.page);
            let parent = h_page.and_then(|hp| {
                let mut top = h.y;
                let mut p = hp;
                for _ in 0..8 {
                    let above = self.heading_above(p, top, rect)?;
                    if numbered_like_heading(&above.text) || above.size > h.size + 0.5 {
                        return Some(above);
                    }
                    top = above.y;
                    p = self.pages.iter().find(|pg| pg.lines.iter().any(|l| std::ptr::eq(l, above)))?.page;
                }
                None
            });
            // The parent says what kind of section it is ("Signatures"); whose section it is
            // comes from the sub-heading when that names a party.
            if let Some(parent) = parent {
                let own_party = names_party(&h.text);
                let extra: Vec<String> =
                    section_words(&parent.text).into_iter().filter(|w| !(own_party && names_party(w))).collect();
                if !extra.is_empty() {
                    words = format!("{} {words}", extra.join(" "));
                }
            }
        }
        format!("{words} {}", label.text).trim().to_string()
    }

    /// The nearest heading above height `top` on `page` (or the last heading of an earlier
    /// page). Of headings side by side at that height (column headings), the one over the
    /// place, else the nearest one to its left.
    fn heading_above(&self, page: usize, top: f32, rect: Rect) -> Option<&TextLine> {
        for p in self.pages.iter().rev().filter(|p| p.page <= page) {
            let above: Vec<&TextLine> =
                p.lines.iter().filter(|l| self.is_heading(l) && (p.page < page || l.y > top + 0.5)).collect();
            let Some(nearest) = above.iter().map(|l| l.y).min_by(f32::total_cmp) else { continue };
            let row: Vec<&TextLine> = above.into_iter().filter(|l| (l.y - nearest).abs() < 3.0).collect();
            let over = row.iter().find(|l| l.x1 <= rect.x2 && l.x2 >= rect.x1 - 2.0);
            let left = row.iter().filter(|l| l.x1 <= rect.x1 + 2.0).max_by(|a, b| a.x1.total_cmp(&b.x1));
            return over.or(left).or(row.first()).copied();
        }
        None
    }

    /// The sentence printed after a tick box: the line starting just right of it on its band,
    /// and its continuation line if one follows closely at the same indent.
    fn sentence_after(&self, p: &PrintedPage, rect: Rect) -> Option<String> {
        let first = p
            .lines
            .iter()
            .filter(|l| l.x1 >= rect.x2 - 2.0 && l.x1 - rect.x2 < 30.0)
            .filter(|l| l.y >= rect.y1 - 4.0 && l.y <= rect.y2 + 3.0)
            .min_by(|a, b| a.x1.total_cmp(&b.x1))?;
        let next = p
            .lines
            .iter()
            .filter(|l| (l.x1 - first.x1).abs() < 2.0 && l.y < first.y && first.y - l.y < 1.5 * first.size)
            .max_by(|a, b| a.y.total_cmp(&b.y));
        Some(match next {
            Some(n) => format!("{} {}", first.text, n.text),
            None => first.text.clone(),
        })
    }

    /// The nearest line on the page that names a party.
    fn nearest_party_line(&self, p: &PrintedPage, rect: Rect) -> Option<String> {
        let (cx, cy) = ((rect.x1 + rect.x2) / 2.0, (rect.y1 + rect.y2) / 2.0);
        p.lines
            .iter()
            .filter(|l| names_party(&l.text))
            .map(|l| {
                let dx = (l.x1 - cx).max(cx - l.x2).max(0.0);
                let dy = l.y - cy;
                (dx.hypot(dy), l)
            })
            .min_by(|a, b| a.0.total_cmp(&b.0))
            .map(|(_, l)| l.text.clone())
    }

    /// Every place a person would write on a form without fields, with its label.
    pub fn writing_spaces(&self) -> Vec<Spot> {
        let mut spots = Vec::new();
        for p in &self.pages {
            spots.extend(self.page_spaces(p));
        }
        spots
    }

    fn page_spaces(&self, p: &PrintedPage) -> Vec<Spot> {
        let squares: Vec<Rect> = p.rects.iter().copied().filter(is_square).collect();
        let boxes: Vec<Rect> = p.rects.iter().copied().filter(|r| !is_square(r) && r.height() >= 8.0).collect();
        let rules: Vec<(f32, f32, f32)> =
            p.segments.iter().filter_map(Segment::horizontal).filter(|(x1, x2, _)| x2 - x1 >= 40.0).collect();
        let mut spots = Vec::new();
        let mut sentence_lines = Vec::new();
        // Tick boxes: a small square with a sentence right after it.
        for sq in &squares {
            if let Some(text) = self.sentence_after(p, *sq) {
                sentence_lines
                    .extend(p.lines.iter().enumerate().filter(|(_, l)| text.starts_with(&l.text)).map(|(i, _)| i));
                spots.push(Spot { page: p.page, rect: *sq, kind: FieldKind::Checkbox, text });
            }
        }
        // Labels: short lines that are not headings nor tick-box sentences.
        let labels: Vec<&TextLine> = p
            .lines
            .iter()
            .enumerate()
            .filter(|(i, l)| {
                !sentence_lines.contains(i) && !self.is_heading(l) && l.text.split_whitespace().count() <= 6
            })
            .map(|(_, l)| l)
            .collect();
        // Every (label, space) pair that reads as "write here", with how far apart they are.
        #[derive(Clone, Copy)]
        enum Space {
            Box(usize),
            Rule(usize),
        }
        let mut pairs: Vec<(f32, usize, Space, Rect)> = Vec::new();
        for (li, l) in labels.iter().enumerate() {
            for (bi, b) in boxes.iter().enumerate() {
                // A caption under its box.
                let gap = b.y1 - (l.y + l.size);
                if (-1.0..=CAPTION_GAP).contains(&gap) && l.x1 >= b.x1 - 8.0 && l.x1 < b.x2 {
                    pairs.push((gap + CAPTION_PENALTY, li, Space::Box(bi), *b));
                }
                // To the right, the baseline inside the box's band.
                if b.x1 >= l.x2 - 2.0 && b.x1 - l.x2 < LEFT_REACH && l.y >= b.y1 - 2.0 && l.y <= b.y2 - 2.0 {
                    pairs.push((b.x1 - l.x2, li, Space::Box(bi), *b));
                }
                // Below, starting under the label.
                if b.y2 < l.y && l.y - b.y2 <= ABOVE_REACH && (b.x1 - l.x1).abs() <= 8.0 {
                    pairs.push((l.y - b.y2, li, Space::Box(bi), *b));
                }
            }
            for (ri, (x1, x2, y)) in rules.iter().enumerate() {
                let space = Rect::new(*x1, *y, *x2, y + 16.0);
                if *x1 >= l.x2 - 2.0 && x1 - l.x2 < LEFT_REACH && *y >= l.y - 8.0 && *y <= l.y + 2.0 {
                    pairs.push((x1 - l.x2, li, Space::Rule(ri), space));
                }
                if *y < l.y - 4.0 && l.y - y <= ABOVE_REACH && (x1 - l.x1).abs() <= 8.0 {
                    let top = (l.y - 2.0).min(y + 16.0);
                    pairs.push((l.y - y, li, Space::Rule(ri), Rect::new(*x1, *y, *x2, top)));
                }
                // A caption under its line ("Signature of the customer" below the rule to sign
                // on): weaker than a label before or above, so a row's own label wins.
                let gap = y - (l.y + l.size);
                if (-1.0..=CAPTION_GAP).contains(&gap) && l.x1 >= x1 - 8.0 && l.x1 < *x2 {
                    let height = if (l.text.to_lowercase()).contains("signature") { 36.0 } else { 16.0 };
                    pairs.push((gap + CAPTION_PENALTY, li, Space::Rule(ri), Rect::new(*x1, *y, *x2, y + height)));
                }
            }
        }
        pairs.sort_by(|a, b| a.0.total_cmp(&b.0));
        let mut label_done = vec![false; labels.len()];
        let mut box_done = vec![false; boxes.len()];
        let mut rule_done = vec![false; rules.len()];
        for (_, li, space, rect) in pairs {
            let taken = match space {
                Space::Box(i) => &mut box_done[i],
                Space::Rule(i) => &mut rule_done[i],
            };
            if label_done[li] || *taken {
                continue;
            }
            label_done[li] = true;
            *taken = true;
            spots.push(self.spot(p.page, rect, labels[li]));
        }
        // A label with nothing drawn to write on: the free space after it, up to the next text
        // on its line or the right margin.
        for (li, l) in labels.iter().enumerate() {
            if label_done[li] {
                continue;
            }
            let next = p
                .lines
                .iter()
                .filter(|o| o.x1 > l.x2 && (o.y - l.y).abs() < 0.3 * l.size)
                .map(|o| o.x1)
                .fold(f32::INFINITY, f32::min);
            let right = if next.is_finite() { next - 4.0 } else { self.right_margin(p) };
            if right - (l.x2 + 4.0) >= 60.0 {
                let rect = Rect::new(l.x2 + 4.0, l.y - 3.0, right, l.y + l.size + 3.0);
                spots.push(self.spot(p.page, rect, l));
            }
        }
        spots
    }

    fn spot(&self, page: usize, rect: Rect, label: &TextLine) -> Spot {
        let text = self.with_heading(page, rect, label);
        let words = tokens(&label.text);
        let has = |w: &str| words.iter().any(|t| t == w);
        let signs =
            (has("signature") || has("sign")) && !["name", "title", "date", "print", "printed"].iter().any(|w| has(w));
        Spot { page, rect, kind: if signs { FieldKind::Signature } else { FieldKind::Text }, text }
    }

    /// The right edge of the page's printed matter, a default margin when it prints nothing.
    fn right_margin(&self, p: &PrintedPage) -> f32 {
        let segments = p.segments.iter().map(|s| s.x1.max(s.x2));
        p.lines.iter().map(|l| l.x2).chain(p.rects.iter().map(|r| r.x2)).chain(segments).fold(0.0, f32::max).max(300.0)
    }
}

/// What a heading says about the fields under it: whose they are and whether it is the
/// signing section. The rest (a form title's "Subscription transfer", a section's number) is
/// left out, so that it never turns a label into another attribute.
fn heading_words(text: &str) -> String {
    section_words(text).join(" ")
}

fn is_square(r: &Rect) -> bool {
    let (w, h) = (r.width(), r.height());
    (SQUARE_MIN..=SQUARE_MAX).contains(&w) && (SQUARE_MIN..=SQUARE_MAX).contains(&h) && (w - h).abs() <= 2.0
}

/// "Section 2 …", "Part B …", "3. …", "C) …": the ways forms number their sections.
fn numbered_like_heading(text: &str) -> bool {
    let t = text.trim_start();
    let lower = t.to_lowercase();
    if (lower.starts_with("section ") || lower.starts_with("part ")) && t.len() > 5 {
        return true;
    }
    let mut chars = t.chars();
    let first: String = chars.by_ref().take_while(|c| c.is_ascii_alphanumeric()).collect();
    let rest = &t[first.len()..];
    let numbered = (!first.is_empty() && first.len() <= 2 && first.chars().all(|c| c.is_ascii_digit()))
        || (first.len() == 1 && first.chars().all(|c| c.is_ascii_uppercase()));
    numbered && (rest.starts_with(". ") || rest.starts_with(") "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(x1: f32, y: f32, text: &str, bold: bool) -> TextLine {
        TextLine { x1, y, x2: x1 + text.len() as f32 * 4.5, size: 9.0, bold, text: text.to_string() }
    }

    fn form() -> PageLabels {
        let lines = vec![
            line(50.0, 700.0, "Section 1. Partner of record", true),
            line(50.0, 680.0, "Microsoft ID", false),
            line(50.0, 640.0, "Customer", true),
            line(50.0, 620.0, "Microsoft ID", false),
            line(50.0, 600.0, "Admin email", false),
            line(72.0, 580.0, "The customer accepts the Microsoft Customer Agreement.", false),
        ];
        let page = PrintedPage {
            page: 1,
            lines,
            rects: vec![Rect::new(54.0, 578.0, 65.0, 589.0)],
            segments: vec![
                Segment { x1: 170.0, y1: 677.0, x2: 550.0, y2: 677.0 },
                Segment { x1: 170.0, y1: 617.0, x2: 550.0, y2: 617.0 },
            ],
        };
        PageLabels::from_pages(vec![page])
    }

    #[test]
    fn a_field_is_described_by_its_label_and_section() {
        let f = form();
        let text = f.describe(1, Rect::new(170.0, 677.0, 550.0, 693.0), Some(FieldKind::Text)).unwrap();
        assert_eq!(text, "partner record Microsoft ID");
        let text = f.describe(1, Rect::new(170.0, 617.0, 550.0, 633.0), Some(FieldKind::Text)).unwrap();
        assert_eq!(text, "customer Microsoft ID");
        let text = f.describe(1, Rect::new(54.0, 578.0, 65.0, 589.0), Some(FieldKind::Checkbox)).unwrap();
        assert!(text.contains("Customer Agreement"), "{text}");
        assert_eq!(f.describe(1, Rect::new(300.0, 100.0, 400.0, 116.0), Some(FieldKind::Text)), None);
    }

    #[test]
    fn a_flat_form_gets_its_rules_and_squares() {
        let spots = form().writing_spaces();
        let texts: Vec<(&str, FieldKind)> = spots.iter().map(|s| (s.text.as_str(), s.kind)).collect();
        assert!(texts.contains(&("partner record Microsoft ID", FieldKind::Text)), "{texts:?}");
        assert!(texts.contains(&("customer Microsoft ID", FieldKind::Text)), "{texts:?}");
        assert!(texts.iter().any(|(t, k)| t.contains("Agreement") && *k == FieldKind::Checkbox), "{texts:?}");
        let id = spots.iter().find(|s| s.text == "customer Microsoft ID").unwrap();
        assert_eq!(id.rect, Rect::new(170.0, 617.0, 550.0, 633.0));
        // "Admin email" has nothing drawn by it: the free space after it, to the margin.
        let email = spots.iter().find(|s| s.text.contains("Admin email")).unwrap();
        assert_eq!(email.rect, Rect::new(50.0 + 11.0 * 4.5 + 4.0, 597.0, 550.0, 612.0));
    }

    #[test]
    fn a_signature_line_is_found_by_its_caption_below() {
        let page = PrintedPage {
            page: 1,
            lines: vec![
                line(50.0, 200.0, "Signatures", true),
                line(50.0, 120.0, "Signature of the current partner", false),
                line(300.0, 120.0, "Signature of the customer", false),
                line(50.0, 90.0, "Date:", false),
            ],
            rects: Vec::new(),
            segments: vec![
                Segment { x1: 50.0, y1: 135.0, x2: 250.0, y2: 135.0 },
                Segment { x1: 300.0, y1: 135.0, x2: 500.0, y2: 135.0 },
            ],
        };
        let spots = PageLabels::from_pages(vec![page]).writing_spaces();
        let customer = spots.iter().find(|s| s.text.contains("customer")).unwrap();
        assert_eq!((customer.kind, customer.rect), (FieldKind::Signature, Rect::new(300.0, 135.0, 500.0, 171.0)));
        let partner = spots.iter().find(|s| s.text.contains("current partner")).unwrap();
        assert_eq!(partner.rect, Rect::new(50.0, 135.0, 250.0, 171.0));
        // "Date:" has nothing drawn by it: the free space after it.
        let date = spots.iter().find(|s| s.text.contains("Date")).unwrap();
        assert!(date.rect.x1 > 70.0 && date.rect.y1 < 90.0 && date.rect.y2 > 95.0, "{date:?}");
    }

    #[test]
    fn headings_are_recognised_by_numbering() {
        assert!(numbered_like_heading("Section 4. Subscriptions"));
        assert!(numbered_like_heading("Part B – End customer"));
        assert!(numbered_like_heading("3. New partner"));
        assert!(numbered_like_heading("C) Customer"));
        assert!(!numbered_like_heading("1 Harbour Way"));
        assert!(!numbered_like_heading("Company name"));
    }
}
