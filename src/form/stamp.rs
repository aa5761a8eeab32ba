//! Where formtool's page code and registration marks go on a form that is not its own.
//!
//! A scanned copy can be read only if each page carries the page code (which transfer, which
//! page) and four marks to align it by. The embedded form has places for them; a foreign form
//! (the official one included) does not, so they are stamped where its page is empty: the four
//! marks at the same inset from each corner, and the code in the first corner of the margin
//! with room for it. The plan depends only on the blank form, so `inspect --profile-out`
//! records exactly what `fill --form` stamps.

use lopdf::{Document, ObjectId};
use serde::{Deserialize, Serialize};

use crate::pdf::Rect;
use crate::pdf::marks;

/// Side of a stamped registration mark, as on the embedded form.
pub const MARK_SIZE: f32 = 14.0;
/// Distances from the page edges tried for the marks, largest first: 28 pt is where the
/// embedded form has them, inside what every printer prints.
/// Nearer than 18 pt many printers do not print at all.
const MARK_INSETS: [f32; 4] = [28.0, 24.0, 21.0, 18.0];
/// Sides tried for the page code, largest first (the embedded form's is 96 pt; below about
/// 56 pt a 200 dpi scan no longer resolves its modules).
const CODE_SIZES: [f32; 4] = [96.0, 84.0, 72.0, 60.0];
/// Clear space kept around whatever is stamped.
const PADDING: f32 = 4.0;

/// What is stamped on one page: the marks' lower-left corners (bottom-left, bottom-right,
/// top-left, top-right) and the code's box, each only if the page has room for it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PageStamp {
    /// 1-based page.
    pub page: usize,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub marks: Option<[[f32; 2]; 4]>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<[f32; 4]>,
}

impl PageStamp {
    pub fn code_box(&self) -> Option<Rect> {
        self.code.map(|r| Rect::new(r[0], r[1], r[2], r[3]))
    }
}

/// Plan the stamp of every page of a blank form.
pub fn plan(doc: &Document) -> Vec<PageStamp> {
    doc.get_pages().iter().map(|(n, id)| plan_page(doc, *n as usize, *id)).collect()
}

/// Plan the stamp of one page: avoid everything its content paints and every annotation.
pub fn plan_page(doc: &Document, number: usize, page_id: ObjectId) -> PageStamp {
    let media = crate::pdf::page_media_box(doc, page_id).unwrap_or(Rect::new(0.0, 0.0, 612.0, 792.0));
    let (content, resources) = marks::page_content(doc, page_id);
    let mut taken: Vec<Rect> = marks::painted_in_content(doc, &content, resources.as_ref())
        .into_iter()
        .map(|p| if p.kind == marks::Kind::Text { likely_text_extent(p.bbox) } else { p.bbox })
        .collect();
    taken.extend(marks::annotations(doc, page_id).into_iter().filter_map(|a| a.bbox));
    let free = |r: &Rect, taken: &[Rect]| {
        let padded = Rect::new(r.x1 - PADDING, r.y1 - PADDING, r.x2 + PADDING, r.y2 + PADDING);
        r.x1 >= media.x1
            && r.y1 >= media.y1
            && r.x2 <= media.x2
            && r.y2 <= media.y2
            && !taken.iter().any(|t| t.normalized().intersects(&padded))
    };
    let marks = MARK_INSETS.iter().find_map(|inset| {
        let (lo_x, lo_y) = (media.x1 + inset, media.y1 + inset);
        let (hi_x, hi_y) = (media.x2 - inset - MARK_SIZE, media.y2 - inset - MARK_SIZE);
        let corners = [[lo_x, lo_y], [hi_x, lo_y], [lo_x, hi_y], [hi_x, hi_y]];
        corners.iter().all(|[x, y]| free(&Rect::new(*x, *y, x + MARK_SIZE, y + MARK_SIZE), &taken)).then_some(corners)
    });
    if let Some(corners) = &marks {
        taken.extend(corners.iter().map(|[x, y]| Rect::new(*x, *y, x + MARK_SIZE, y + MARK_SIZE)));
    }
    let code = code_place(&media, &taken, &free);
    PageStamp { page: number, marks, code: code.map(|r| [r.x1, r.y1, r.x2, r.y2]) }
}

/// The painted-marks reader sizes text as if every character were a full em wide (a safe
/// upper bound for judging signatures); real text averages well under 0.6 em. For choosing a
/// free margin, 0.7 em per character keeps clear of the text without giving up the corner a
/// long title ends far from.
fn likely_text_extent(bbox: Rect) -> Rect {
    let b = bbox.normalized();
    Rect::new(b.x1, b.y1, b.x1 + b.width() * 0.7, b.y2)
}

/// The first free square for the code, largest first, from the bottom-right corner (where the
/// embedded form has it) round the others, sliding along the edges towards the middle.
fn code_place(media: &Rect, taken: &[Rect], free: &dyn Fn(&Rect, &[Rect]) -> bool) -> Option<Rect> {
    // As far in from the edges as the nearest marks: nearer, printers may cut the code off.
    let inner = 18.0;
    for size in CODE_SIZES {
        let reach_x = media.width() / 3.0;
        let reach_y = media.height() / 3.0;
        let steps = |reach: f32| (0..).map(move |k| k as f32 * 6.0).take_while(move |d| *d <= reach);
        // Corner origins and the direction each slides in (towards the page's middle).
        let corners = [
            (media.x2 - inner - size, media.y1 + inner, -1.0, 1.0),
            (media.x1 + inner, media.y1 + inner, 1.0, 1.0),
            (media.x2 - inner - size, media.y2 - inner - size, -1.0, -1.0),
            (media.x1 + inner, media.y2 - inner - size, 1.0, -1.0),
        ];
        for (x0, y0, dx, dy) in corners {
            for along in steps(reach_x.max(reach_y)) {
                for (x, y) in [(x0 + dx * along, y0), (x0, y0 + dy * along)] {
                    let r = Rect::new(x, y, x + size, y + size);
                    if (x - x0).abs() <= reach_x && (y - y0).abs() <= reach_y && free(&r, taken) {
                        return Some(r);
                    }
                }
            }
        }
    }
    None
}
