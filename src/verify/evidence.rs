//! `--evidence DIR` for digital and drawn forms: what the renderer shows in each signature box,
//! admin row and attestation checkbox of the form (from its model), one PNG each, named by the check it supports
//! (the same naming as the crops of scanned forms, [`crate::verify::scan::write_evidence`]).

use std::collections::BTreeMap;

use crate::form::{FormModel, Party, Rect, Role};
use crate::verify::render::PageView;
use crate::verify::scan::Crop;

/// Pixels per point of the crops (144 dpi): a signature's strokes and a tick read clearly.
const PX_PER_PT: f32 = 2.0;
/// Margin around each region, in points, so the printed outline shows.
const MARGIN: f32 = 4.0;

/// The crops of the form's regions, as rendered on their pages (`views`, by page number); a
/// region that cannot be rendered, or whose page has no view, is left out.
pub fn crops(views: &BTreeMap<usize, PageView>, model: &FormModel) -> Vec<Crop> {
    let place = |role: Role| model.places.get(&role).and_then(|p| Some((p.page?, p.rect?)));
    let rect_of = |role: Role| place(role).map(|(_, r)| r);
    let page_of = |role: Role| place(role).map(|(p, _)| p).unwrap_or(1);
    let mut regions: Vec<(String, usize, Rect)> =
        model.signature_boxes.iter().map(|b| (format!("signature.{}", b.party.key()), b.page, b.rect)).collect();
    for p in [Party::CurrentPartner, Party::NewPartner] {
        let parts: Vec<Rect> =
            [Role::AdminName(p), Role::AdminEmail(p), Role::AdminPhone(p)].into_iter().filter_map(rect_of).collect();
        if let Some(first) = parts.first() {
            let row = parts
                .iter()
                .fold(*first, |a, b| Rect::new(a.x1.min(b.x1), a.y1.min(b.y1), a.x2.max(b.x2), a.y2.max(b.y2)));
            regions.push((format!("admin.{}", p.key()), page_of(Role::AdminName(p)), row));
        }
    }
    for (role, id) in [
        (Role::ResellerRelationship, "attest.reseller_relationship"),
        (Role::CustomerAgreement, "attest.customer_agreement"),
    ] {
        if let Some(r) = rect_of(role) {
            regions.push((id.to_string(), page_of(role), r));
        }
    }
    regions
        .into_iter()
        .filter_map(|(id, page, r)| {
            let grown = Rect::new(r.x1 - MARGIN, r.y1 - MARGIN, r.x2 + MARGIN, r.y2 + MARGIN);
            views.get(&page)?.crop(&grown, PX_PER_PT).ok().map(|image| Crop { id, image })
        })
        .collect()
}
