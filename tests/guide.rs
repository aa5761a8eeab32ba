//! `formtool guide` against the official procedure (issue 13 item 20), through the real binary:
//! the Partner Center routes, where each value is found, who returns the form to whom, the
//! upload to the existing request, the cmdlets the procedure names, and every subscription.

mod common;

use common::{Dir, repo};

fn guide(dir: &Dir, input: &str) -> String {
    let out = dir.formtool().arg("guide").arg(input).assert().success().get_output().stdout.clone();
    String::from_utf8(out).unwrap()
}

/// The text of step `n` (from its `n. ` line to the next step).
fn step(text: &str, n: usize) -> &str {
    let start = text.find(&format!("\n{n}. ")).unwrap_or_else(|| panic!("no step {n}"));
    let rest = &text[start + 1..];
    let end = rest.find(&format!("\n{}. ", n + 1)).unwrap_or(rest.len());
    &rest[..end]
}

#[test]
fn the_guide_follows_the_procedure() {
    let dir = Dir::new();
    let text = guide(&dir, repo("fixtures/transfer.toml").to_str().unwrap());
    let customer = "Φαμπρίκαμ Α.Ε.";
    // Where each value is found in Partner Center.
    for route in [
        "Account settings → Organization profile".to_string(),
        format!("Customers → {customer} → Microsoft ID"),
        format!("Customers → {customer} → View subscriptions → subscription ID"),
        format!("Customers → {customer} → Account → Domain name"),
    ] {
        assert!(text.contains(&route), "{route}\n{text}");
    }
    // Step 2: the support request, by its Partner Center route.
    let two = step(&text, 2);
    assert!(
        two.contains(&format!(
            "Customers → {customer} → Service management → Support tickets → New ticket → Microsoft Azure"
        )),
        "{two}"
    );
    assert!(two.contains("Severity:      C - Minimal impact"));
    // Step 4: the form goes back to the current partner.
    let four = step(&text, 4);
    assert!(four.contains("return the signed form to the current partner, Contoso Cloud Services Ltd"), "{four}");
    // Step 5: uploaded with File upload to the existing request.
    let five = step(&text, 5);
    assert!(five.contains("File upload") && five.contains("existing support request"), "{five}");
    // Step 6: the procedure's cmdlets, their Az equivalents, how to pick the entry, the portal.
    let six = step(&text, 6);
    for want in [
        "Add-AzureRMAccount -tenant \"fabrikam.onmicrosoft.com\"",
        "Get-AzureRMRoleAssignment",
        "Remove-AzureRMRoleAssignment -ObjectId <object-id> -RoleDefinitionName \"<role>\"",
        "Connect-AzAccount -Tenant fabrikam.onmicrosoft.com",
        "Get-AzRoleAssignment",
        "Remove-AzRoleAssignment",
        "DisplayName names Contoso Cloud Services Ltd",
        "ObjectId and RoleDefinitionName",
        "Access control (IAM) → Role assignments",
    ] {
        assert!(six.contains(want), "{want}\n{six}");
    }
    // What cannot move this way.
    for product in ["Enterprise Agreement (EA)", "Open", "Office 365", "(EMS)", "Dynamics CRM"] {
        assert!(text.contains(product), "{product}");
    }
}

#[test]
fn every_subscription_of_a_multi_subscription_transfer_is_listed() {
    let dir = Dir::new();
    let subs: Vec<String> = (1..=12).map(|i| format!("3f2b8c1e-7d4a-4e6b-9a0c-{i:012}")).collect();
    let list = subs.iter().map(|s| format!("\"{s}\"")).collect::<Vec<_>>().join(", ");
    let toml = include_str!("../fixtures/transfer.toml");
    let start = toml.find("subscriptions = [").unwrap();
    let end = start + toml[start..].find(']').unwrap() + 1;
    dir.write("t.toml", format!("{}subscriptions = [{list}]{}", &toml[..start], &toml[end..]));
    let text = guide(&dir, "t.toml");
    assert!(text.starts_with("Transfer of 12 subscription(s)"), "{text}");
    for sub in &subs {
        // In the list, the support request, the form, and the PowerShell of both modules.
        assert!(text.contains(&format!(". {sub}\n")), "{sub} not in the list");
        for n in [2, 3] {
            assert!(step(&text, n).contains(sub.as_str()), "{sub} not in step {n}");
        }
        let six = step(&text, 6);
        assert!(six.contains(&format!("Get-AzureRMRoleAssignment -Scope /subscriptions/{sub}")), "{sub}");
        assert!(six.contains(&format!("Get-AzRoleAssignment -Scope /subscriptions/{sub}")), "{sub}");
    }
}
