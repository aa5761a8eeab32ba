//! `formtool guide`: the six steps of the transfer procedure (SPEC section 1) written out for
//! one transfer, with its IDs, names and domain filled in, including the PowerShell the new
//! partner runs in step 6 — the `Az` module commands and the legacy `AzureRM` ones that the
//! official procedure names.
//!
//! ```
//! use formtool::{commands::guide, input};
//! let t = &input::load("fixtures/transfer.toml".as_ref(), false).unwrap().transfers[0];
//! let text = guide::guide(t);
//! assert!(text.contains("Connect-AzAccount -Tenant fabrikam.onmicrosoft.com"));
//! ```

use std::fmt::Write;

use crate::error::{CommandResult, Failure, Outcome};
use crate::input::{self, Transfer};
use clap::Args;
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct GuideArgs {
    /// Transfer input: .json, .toml or .csv; `-` reads JSON from stdin.
    #[arg(value_name = "INPUT")]
    pub input: PathBuf,
    /// Which transfer of a batch file, from 1 (in CSV, the first data row is 1).
    #[arg(long, value_name = "N")]
    pub row: Option<usize>,
}

/// The guide text for one transfer.
pub fn guide(t: &Transfer) -> String {
    let cp = &t.current_partner;
    let np_name = t.new_partner.as_ref().map(|p| p.organization.as_str()).unwrap_or("the new partner");
    let tenant = t.customer.domain.clone().unwrap_or_else(|| t.customer.microsoft_id.clone());
    let subs = t.subscriptions.join(", ");
    let mut s = String::new();
    let _ = writeln!(
        s,
        "Transfer of {} subscription(s) of {} from {} to {}",
        t.subscriptions.len(),
        t.customer.organization,
        cp.organization,
        np_name
    );
    let _ = writeln!(s, "Subscriptions: {subs}\n");
    let _ = writeln!(
        s,
        "1. {} asks {} in writing to transfer the subscription(s) to {}.\n",
        t.customer.organization, cp.organization, np_name
    );
    let _ = writeln!(s, "2. {} opens an Azure support request:", cp.organization);
    let _ = writeln!(s, "     Issue type:    Subscription management");
    let _ = writeln!(s, "     Subscription:  {}", t.subscriptions[0]);
    let _ = writeln!(s, "     Support plan:  Cloud Solution Provider");
    let _ = writeln!(s, "     Severity:      C - Minimal impact");
    let _ = writeln!(s, "     Problem type:  Other general questions");
    let _ = writeln!(
        s,
        "   and downloads the official transfer form (formtool fetch), or uses formtool's embedded form.\n"
    );
    let _ = writeln!(
        s,
        "3. {} fills in its details (Microsoft ID {}), the customer's Microsoft ID {}",
        cp.organization, cp.microsoft_id, t.customer.microsoft_id
    );
    let _ = writeln!(
        s,
        "   and the subscription ID(s) (formtool fill), signs in the Current partner box, and sends it to the customer.\n"
    );
    match &t.new_partner {
        Some(np) => {
            let _ = writeln!(
                s,
                "4. {} and {} (Microsoft ID {}) check the form; {} adds its details;",
                t.customer.organization, np.organization, np.microsoft_id, np.organization
            );
        }
        None => {
            let _ = writeln!(
                s,
                "4. {} and the new partner check the form; the new partner adds its details;",
                t.customer.organization
            );
        }
    }
    let _ = writeln!(s, "   the customer signs in the Customer box and the new partner in the New partner box.");
    let _ = writeln!(s, "   The new partner must already have a reseller relationship with the customer, and the");
    let _ = writeln!(s, "   customer must have accepted the customer agreement: tick both boxes only if true.\n");
    let np_admin = t
        .new_partner
        .as_ref()
        .map(|p| format!("{} <{}>, {}", p.admin.name, p.admin.email, p.admin.phone))
        .unwrap_or_else(|| "(not yet given)".into());
    let _ = writeln!(
        s,
        "5. {} checks that the form carries both partner admins — Microsoft support calls both:",
        cp.organization
    );
    let _ = writeln!(s, "     current partner admin: {} <{}>, {}", cp.admin.name, cp.admin.email, cp.admin.phone);
    let _ = writeln!(s, "     new partner admin:     {np_admin}");
    let _ = writeln!(s, "   and all three signatures (formtool verify), then uploads it to the support request.");
    let _ = writeln!(s, "   Support answers within 8 business hours.\n");
    let _ = writeln!(s, "6. {np_name} signs in to the customer's tenant and removes {}'s access.", cp.organization);
    let _ = writeln!(s, "   With the Az module:");
    let _ = writeln!(s, "     Connect-AzAccount -Tenant {tenant}");
    for sub in &t.subscriptions {
        let _ = writeln!(s, "     Set-AzContext -Subscription {sub}");
        let _ = writeln!(s, "     Get-AzRoleAssignment -Scope /subscriptions/{sub}");
        let _ = writeln!(
            s,
            "     Remove-AzRoleAssignment -ObjectId <stale-object-id> -RoleDefinitionName <role> -Scope /subscriptions/{sub}"
        );
    }
    let _ = writeln!(s, "   With the legacy AzureRM module named by the official procedure:");
    let _ = writeln!(s, "     Login-AzureRMAccount -TenantId {tenant}");
    for sub in &t.subscriptions {
        let _ = writeln!(s, "     Select-AzureRmSubscription -SubscriptionId {sub}");
        let _ = writeln!(s, "     Get-AzureRmRoleAssignment -Scope /subscriptions/{sub}");
        let _ = writeln!(
            s,
            "     Remove-AzureRmRoleAssignment -ObjectId <stale-object-id> -RoleDefinitionName <role> -Scope /subscriptions/{sub}"
        );
    }
    s
}

/// `formtool guide`.
pub fn run(args: &GuideArgs) -> CommandResult {
    let loaded = input::load(&args.input, false)?;
    let n = loaded.transfers.len();
    let transfer = match args.row {
        // The same numbering as fill's messages: the n-th transfer of the file (in CSV, the
        // n-th data row).
        Some(row) => loaded.transfers.get(row.wrapping_sub(1)).ok_or_else(|| {
            Failure::usage(format!(
                "{}: --row {row}: the file holds {n} transfer(s), numbered from 1",
                args.input.display()
            ))
        })?,
        None if n == 1 => &loaded.transfers[0],
        None => {
            return Err(Failure::usage(format!(
                "{}: holds {n} transfers; guide takes one: pick it with --row N (1 to {n})",
                args.input.display()
            )));
        }
    };
    crate::output::write_stdout(guide(transfer).as_bytes())?;
    Ok(Outcome::Yes)
}
