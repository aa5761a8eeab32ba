//! Whether a certificate could sign when it did: its validity period at the signing time,
//! and what its key usage and extended key usage allow (RFC 5280 §4.2.1.3, §4.2.1.12).

use const_oid::ObjectIdentifier as Oid;
use x509_cert::Certificate;
use x509_cert::ext::pkix::{ExtendedKeyUsage, KeyUsage};

use super::signer_name;

/// Extended key usages that allow signing documents: anyExtendedKeyUsage, RFC 9336
/// documentSigning, emailProtection (S/MIME certificates, the usual personal signing
/// certificate), Microsoft document signing and Adobe Authentic Documents Trust.
const DOCUMENT_SIGNING: [Oid; 5] = [
    Oid::new_unwrap("2.5.29.37.0"),
    Oid::new_unwrap("1.3.6.1.5.5.7.3.36"),
    Oid::new_unwrap("1.3.6.1.5.5.7.3.4"),
    Oid::new_unwrap("1.3.6.1.4.1.311.10.3.12"),
    Oid::new_unwrap("1.2.840.113583.1.1.5"),
];

/// `Err` naming the certificate, the time and its source when `time` is outside its
/// validity period.
pub(super) fn valid_at(cert: &Certificate, time: der::DateTime, source: &str) -> Result<(), String> {
    let validity = &cert.tbs_certificate.validity;
    let (from, to) = (validity.not_before.to_date_time(), validity.not_after.to_date_time());
    let at = time.unix_duration();
    let whose = signer_name(cert);
    if at < from.unix_duration() {
        Err(format!("the certificate of {whose:?} was not yet valid at {time} ({source}): valid from {from}"))
    } else if at > to.unix_duration() {
        Err(format!("the certificate of {whose:?} had expired at {time} ({source}): valid until {to}"))
    } else {
        Ok(())
    }
}

/// `Err` saying which usage fails when the signer's key usage or extended key usage, where
/// present, does not allow signing documents.
pub(super) fn allows_signing(cert: &Certificate) -> Result<(), String> {
    let whose = signer_name(cert);
    match cert.tbs_certificate.get::<KeyUsage>() {
        Ok(Some((_, usage))) if !(usage.digital_signature() || usage.non_repudiation()) => {
            return Err(format!(
                "the certificate of {whose:?} does not allow signing: its key usage has neither digitalSignature nor nonRepudiation"
            ));
        }
        Err(e) => return Err(format!("the key usage of the certificate of {whose:?} cannot be read: {e}")),
        _ => {}
    }
    match cert.tbs_certificate.get::<ExtendedKeyUsage>() {
        Ok(Some((_, eku))) if !eku.0.iter().any(|oid| DOCUMENT_SIGNING.contains(oid)) => Err(format!(
            "the certificate of {whose:?} does not allow signing documents: its extended key usage is {}",
            eku.0.iter().map(|o| o.to_string()).collect::<Vec<_>>().join(", ")
        )),
        Err(e) => Err(format!("the extended key usage of the certificate of {whose:?} cannot be read: {e}")),
        _ => Ok(()),
    }
}
