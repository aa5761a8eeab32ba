//! `--evidence DIR` for digital and drawn forms: what the renderer shows in each signature box,
//! admin row and attestation checkbox of page 1, one PNG each, named by the check it supports
//! (the same naming as the crops of scanned forms, [`crate::scan::write_evidence`]).

use crate::layout::{self, Party, Rect, Role};
use crate::render::PageView;
use crate::scan::Crop;

/// Pixels per point of the crops (144 dpi): a signature's strokes and a tick read clearly.
const PX_PER_PT: f32 = 2.0;
/// Margin around each region, in points, so the printed outline shows.
const MARGIN: f32 = 4.0;

/// The crops of page 1, as rendered; a region that cannot be rendered is left out.
pub fn crops(view: &PageView, boxes: &[(Party, Rect)]) -> Vec<Crop> {
    let page = layout::first_page();
    let rect_of = |role: Role| page.field(&role.field_name()).map(|f| f.rect);
    let mut regions: Vec<(String, Rect)> = boxes.iter().map(|(p, r)| (format!("signature.{}", p.key()), *r)).collect();
    for p in [Party::CurrentPartner, Party::NewPartner] {
        let parts: Vec<Rect> =
            [Role::AdminName(p), Role::AdminEmail(p), Role::AdminPhone(p)].into_iter().filter_map(rect_of).collect();
        if let Some(first) = parts.first() {
            let row = parts
                .iter()
                .fold(*first, |a, b| Rect::new(a.x1.min(b.x1), a.y1.min(b.y1), a.x2.max(b.x2), a.y2.max(b.y2)));
            regions.push((format!("admin.{}", p.key()), row));
        }
    }
    for (role, id) in [
        (Role::ResellerRelationship, "attest.reseller_relationship"),
        (Role::CustomerAgreement, "attest.customer_agreement"),
    ] {
        if let Some(r) = rect_of(role) {
            regions.push((id.to_string(), r));
        }
    }
    regions
        .into_iter()
        .filter_map(|(id, r)| {
            let grown = Rect::new(r.x1 - MARGIN, r.y1 - MARGIN, r.x2 + MARGIN, r.y2 + MARGIN);
            view.crop(&grown, PX_PER_PT).ok().map(|image| Crop { id, image })
        })
        .collect()
}
