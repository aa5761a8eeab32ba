//! `formtool inspect`: what form fields a PDF has — name, type, page, rectangle, value — and
//! the role of SPEC section 4 each plays, so a user can see at a glance whether a form is
//! formtool's own, a foreign one that needs a profile, or not a form at all.
//!
//! ```
//! let pdf = formtool::form::template::blank_form();
//! let fields = formtool::commands::inspect::inspect_bytes(&pdf).unwrap();
//! let f = fields.iter().find(|f| f.name == "Customer_MicrosoftId").unwrap();
//! assert_eq!(f.role.as_deref(), Some("customer.microsoft_id"));
//! ```

use lopdf::Document;
use serde::Serialize;

use crate::error::{CommandResult, Failure, Outcome};
use crate::form::layout::Role;
use crate::pdf::{form_fields, load_pdf};
use clap::Args;
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct InspectArgs {
    /// The PDF to inspect.
    #[arg(value_name = "FORM.pdf")]
    pub form: PathBuf,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Write the proposed profile (TOML) for this form, to review and pass to `fill --profile`.
    #[arg(long, value_name = "FILE")]
    pub profile_out: Option<PathBuf>,
    /// Overwrite an existing --profile-out file.
    #[arg(long, requires = "profile_out")]
    pub force: bool,
}

/// One field as `inspect` reports it.
#[derive(Debug, Clone, Serialize)]
pub struct FieldReport {
    pub name: String,
    #[serde(rename = "type")]
    pub field_type: String,
    pub page: Option<usize>,
    /// `[x1, y1, x2, y2]` in points.
    pub rect: Option<[f32; 4]>,
    pub value: Option<String>,
    pub role: Option<String>,
}

/// The fields of a PDF held in memory.
pub fn inspect_bytes(bytes: &[u8]) -> Result<Vec<FieldReport>, String> {
    let doc = load_pdf(bytes)?;
    Ok(inspect_document(&doc))
}

pub fn inspect_document(doc: &Document) -> Vec<FieldReport> {
    // A foreign form's fields get the role the profile proposal gives them.
    let proposed = crate::form::profile::field_roles(doc);
    form_fields(doc)
        .into_iter()
        .map(|f| {
            let widget = f.first_widget();
            FieldReport {
                role: Role::from_field_name(&f.name).map(|r| r.key()).or_else(|| proposed.get(&f.name).cloned()),
                page: widget.and_then(|w| w.page),
                rect: widget.and_then(|w| w.rect).map(|r| [r.x1, r.y1, r.x2, r.y2]),
                field_type: f.field_type,
                value: f.value,
                name: f.name,
            }
        })
        .collect()
}

/// `formtool inspect`.
pub fn run(args: &InspectArgs) -> CommandResult {
    let (bytes, doc) = crate::pdf::open_pdf(&args.form)?;
    let fields = inspect_document(&doc);
    let complete = match &args.profile_out {
        Some(out) => crate::form::profile::write_proposal(&doc, &bytes, &args.form, out, args.force)?,
        None => true,
    };
    if args.json {
        let json = serde_json::to_string_pretty(&fields).map_err(|e| Failure::no(e.to_string()))?;
        println!("{json}");
    } else if fields.is_empty() {
        println!("{}: no form fields", args.form.display());
    } else {
        println!("{:<34} {:<4} {:>4}  {:<27} {:<36} VALUE", "NAME", "TYPE", "PAGE", "RECT", "ROLE");
        for f in &fields {
            let rect = f
                .rect
                .map(|r| format!("{:.0} {:.0} {:.0} {:.0}", r[0], r[1], r[2], r[3]))
                .unwrap_or_else(|| "-".into());
            println!(
                "{:<34} {:<4} {:>4}  {:<27} {:<36} {}",
                f.name,
                f.field_type,
                f.page.map(|p| p.to_string()).unwrap_or_else(|| "-".into()),
                rect,
                f.role.as_deref().unwrap_or("-"),
                f.value.as_deref().unwrap_or("")
            );
        }
    }
    Ok(if complete { Outcome::Yes } else { Outcome::No })
}
