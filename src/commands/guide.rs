//! `formtool guide`: the six steps of the transfer procedure (SPEC section 1) written out for
//! one transfer, with its IDs, names and domain filled in: where each value is found in Partner
//! Center, the Partner Center route to the support request and to its File upload, every
//! subscription ID, who returns the form to whom, which subscriptions cannot move this way, and
//! the PowerShell the new partner runs in step 6 — the legacy `AzureRM` cmdlets the official
//! procedure names, their `Az` equivalents — with how to pick the entry to remove, or the
//! portal route.
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
    let customer = &t.customer.organization;
    let np_name = t.new_partner.as_ref().map(|p| p.organization.as_str()).unwrap_or("the new partner");
    let mut s = String::new();
    let _ = writeln!(
        s,
        "Transfer of {} subscription(s) of {customer} from {} to {np_name}",
        t.subscriptions.len(),
        cp.organization
    );
    let _ = writeln!(s, "Subscriptions:");
    for (i, sub) in t.subscriptions.iter().enumerate() {
        let _ = writeln!(s, "  {:>2}. {sub}", i + 1);
    }
    let _ = writeln!(s);
    let _ = writeln!(s, "Only Azure subscriptions bought through the Cloud Solution Provider programme move this way:");
    let _ = writeln!(s, "subscriptions under an Enterprise Agreement (EA) or Open licensing, and Office 365,");
    let _ = writeln!(s, "Enterprise Mobility + Security (EMS) and Dynamics CRM subscriptions cannot.\n");
    where_to_find(&mut s, t);
    steps_1_to_5(&mut s, t, np_name);
    step_6(&mut s, t, np_name);
    s
}

/// Where each value of the form is read in Partner Center, with this transfer's value.
fn where_to_find(s: &mut String, t: &Transfer) {
    let cp = &t.current_partner;
    let customer = &t.customer.organization;
    let _ = writeln!(s, "Where each value is found in Partner Center:");
    let _ = writeln!(s, "  Partner's Microsoft ID, name and address:  Account settings → Organization profile");
    let _ = writeln!(s, "      {}: {}, {}", cp.organization, cp.microsoft_id, cp.address);
    if let Some(np) = &t.new_partner {
        let _ =
            writeln!(s, "      {} (in its own Partner Center): {}, {}", np.organization, np.microsoft_id, np.address);
    }
    let _ = writeln!(s, "  Customer's Microsoft ID:                   Customers → {customer} → Microsoft ID");
    let _ = writeln!(s, "      {}", t.customer.microsoft_id);
    let _ = writeln!(
        s,
        "  Subscription IDs:                          Customers → {customer} → View subscriptions → subscription ID"
    );
    let _ = writeln!(s, "      {}", t.subscriptions.join(", "));
    let _ = writeln!(s, "  Customer's domain:                         Customers → {customer} → Account → Domain name");
    let _ = writeln!(s, "      {}\n", t.customer.domain.as_deref().unwrap_or("(not given in the input)"));
}

/// Steps 1 to 5: from the customer's request to the upload of the signed form.
fn steps_1_to_5(s: &mut String, t: &Transfer, np_name: &str) {
    let cp = &t.current_partner;
    let customer = &t.customer.organization;
    let _ = writeln!(
        s,
        "1. {customer} asks {} in writing to transfer the subscription(s) to {np_name}.\n",
        cp.organization
    );
    let _ = writeln!(s, "2. {} opens an Azure support request in Partner Center:", cp.organization);
    let _ = writeln!(
        s,
        "     Customers → {customer} → Service management → Support tickets → New ticket → Microsoft Azure"
    );
    let _ = writeln!(s, "   with");
    let _ = writeln!(s, "     Issue type:    Subscription management");
    let _ = writeln!(s, "     Subscription:  {}", t.subscriptions[0]);
    let _ = writeln!(s, "     Support plan:  Cloud Solution Provider");
    let _ = writeln!(s, "     Severity:      C - Minimal impact");
    let _ = writeln!(s, "     Problem type:  Other general questions");
    if t.subscriptions.len() > 1 {
        let _ = writeln!(s, "   and every subscription to transfer named in the description:");
        for sub in &t.subscriptions {
            let _ = writeln!(s, "     {sub}");
        }
    }
    let _ = writeln!(
        s,
        "   and downloads the official transfer form (formtool fetch), or uses formtool's embedded form.\n"
    );
    let _ = writeln!(
        s,
        "3. {} fills in its details (name, Microsoft ID {}, address), the customer's Microsoft ID {}",
        cp.organization, cp.microsoft_id, t.customer.microsoft_id
    );
    let _ = writeln!(s, "   and every subscription ID (formtool fill):");
    for sub in &t.subscriptions {
        let _ = writeln!(s, "     {sub}");
    }
    let _ = writeln!(s, "   signs in the Current partner box, and sends the form to the customer ({customer}).\n");
    match &t.new_partner {
        Some(np) => {
            let _ = writeln!(
                s,
                "4. {customer} and {} (Microsoft ID {}) check the form; {} adds its details;",
                np.organization, np.microsoft_id, np.organization
            );
        }
        None => {
            let _ = writeln!(s, "4. {customer} and the new partner check the form; the new partner adds its details;");
        }
    }
    let _ = writeln!(s, "   the customer signs in the Customer box and the new partner in the New partner box.");
    let _ = writeln!(s, "   The new partner must already have a reseller relationship with the customer, and the");
    let _ = writeln!(s, "   customer must have accepted the customer agreement: tick both boxes only if true.");
    let _ = writeln!(
        s,
        "   The customer and the new partner return the signed form to the current partner, {} ({} <{}>).\n",
        cp.organization, cp.admin.name, cp.admin.email
    );
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
    let _ = writeln!(s, "   and all three signatures (formtool verify), then uploads it with File upload to the");
    let _ = writeln!(s, "   existing support request of step 2 (not a new one):");
    let _ =
        writeln!(s, "     Customers → {customer} → Service management → Support tickets → the request → File upload");
    let _ = writeln!(s, "   Support answers within 8 business hours.\n");
}

/// Step 6: the new partner removes the current partner's access to each subscription, with the
/// cmdlets the official procedure names (AzureRM), their `Az` equivalents, or the portal.
fn step_6(s: &mut String, t: &Transfer, np_name: &str) {
    let cp = &t.current_partner;
    let tenant = t.customer.domain.clone().unwrap_or_else(|| t.customer.microsoft_id.clone());
    let _ = writeln!(
        s,
        "6. {np_name} signs in to the customer's tenant and removes {}'s access to each subscription.",
        cp.organization
    );
    let _ = writeln!(s, "   Which entry to remove: list the role assignments of the subscription; the old partner's");
    let _ = writeln!(s, "   access is the entry whose DisplayName names {} (for a CSP partner's", cp.organization);
    let _ = writeln!(
        s,
        "   admin-on-behalf-of access: \"Foreign Principal for '{}' in Role 'TenantAdmins'\",",
        cp.organization
    );
    let _ = writeln!(s, "   ObjectType ForeignGroup, usually role Owner). Its ObjectId and RoleDefinitionName are the");
    let _ = writeln!(s, "   <object-id> and <role> below; remove every such entry of {}.", cp.organization);
    let _ = writeln!(s, "   With the AzureRM module the official procedure names:");
    let _ = writeln!(s, "     Add-AzureRMAccount -tenant \"{tenant}\"");
    let _ = writeln!(s, "       (Login-AzureRMAccount -TenantId {tenant} is the same command)");
    for sub in &t.subscriptions {
        let _ = writeln!(s, "     Select-AzureRmSubscription -SubscriptionId {sub}");
        let _ = writeln!(s, "     Get-AzureRMRoleAssignment -Scope /subscriptions/{sub}");
        let _ = writeln!(
            s,
            "     Remove-AzureRMRoleAssignment -ObjectId <object-id> -RoleDefinitionName \"<role>\" -Scope /subscriptions/{sub}"
        );
    }
    let _ = writeln!(s, "   With the Az module (AzureRM's successor):");
    let _ = writeln!(s, "     Connect-AzAccount -Tenant {tenant}");
    for sub in &t.subscriptions {
        let _ = writeln!(s, "     Set-AzContext -Subscription {sub}");
        let _ = writeln!(s, "     Get-AzRoleAssignment -Scope /subscriptions/{sub}");
        let _ = writeln!(
            s,
            "     Remove-AzRoleAssignment -ObjectId <object-id> -RoleDefinitionName \"<role>\" -Scope /subscriptions/{sub}"
        );
    }
    let _ = writeln!(s, "   Or in the Azure portal, signed in to {tenant}, for each subscription:");
    let _ = writeln!(
        s,
        "     Subscriptions → the subscription → Access control (IAM) → Role assignments → the entry of {} → Remove",
        cp.organization
    );
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
