//! RFC 3161 timestamp tokens: signature timestamps (an unsigned attribute of a signature,
//! stamping its signature value) and document timestamps (`/SubFilter /ETSI.RFC3161`,
//! stamping the byte range, the PAdES long-term step).
//!
//! A token is a CMS SignedData encapsulating a TSTInfo. It is good when its messageImprint is
//! the digest of what it stamps, its signed attributes carry the digest of the TSTInfo, and
//! the TSA's signature over them verifies with the certificate the token carries.

use der::asn1::{AnyRef, GeneralizedTime, OctetStringRef};
use der::{Decode, Encode};
use spki::AlgorithmIdentifierOwned;
use x509_cert::Certificate;

use super::{
    DigestAlg, Oid, SignedMessage, check_signed_attrs_for, children, find_signer, parse_signed_data, signer_name,
    verify_signature,
};

/// RFC 3161 §2.4.2 id-ct-TSTInfo.
pub(super) const ID_CT_TST_INFO: Oid = Oid::new_unwrap("1.2.840.113549.1.9.16.1.4");
/// RFC 3161 Appendix A id-aa-timeStampToken (the unsigned attribute of a signature).
pub(super) const ID_AA_TIME_STAMP_TOKEN: Oid = Oid::new_unwrap("1.2.840.113549.1.9.16.2.14");

/// A verified token.
pub(super) struct Token {
    /// The TSA's time (genTime).
    pub time: der::DateTime,
    /// The digest of its imprint.
    pub digest: DigestAlg,
    /// The TSA's certificate and the others the token carries.
    pub tsa: Certificate,
    pub certs: Vec<Certificate>,
}

/// Verify the token `der` stamping the data whose digest (with the token's own algorithm)
/// `digest` computes.
pub(super) fn verify(der: &[u8], digest: &dyn Fn(DigestAlg) -> Vec<u8>) -> Result<Token, String> {
    let parsed = parse_signed_data(der, ID_CT_TST_INFO, None)?;
    let tst = parsed.econtent.as_deref().ok_or("the token holds no TSTInfo")?;
    let (imprint_alg, imprint, time) = tst_info(tst).map_err(|e| format!("the token's TSTInfo cannot be read: {e}"))?;
    let imprint_alg = DigestAlg::from_oid(&imprint_alg.oid)
        .ok_or_else(|| format!("the token's imprint uses an unsupported digest {}", imprint_alg.oid))?;
    if digest(imprint_alg) != imprint {
        return Err("the token's message imprint is not the digest of what it stamps".into());
    }
    let info = &parsed.signer_info;
    let alg = DigestAlg::from_oid(&info.digest_alg.oid)
        .ok_or_else(|| format!("the token is signed with an unsupported digest {}", info.digest_alg.oid))?;
    let attrs = check_signed_attrs_for(info, ID_CT_TST_INFO).map_err(|e| format!("the token's {e}"))?;
    if attrs.message_digest.as_deref() != Some(alg.digest_parts(&[tst]).as_slice()) {
        return Err("the token's signed attributes do not match its TSTInfo".into());
    }
    let tsa = find_signer(&parsed.certs, &info.sid).map_err(|e| format!("the token's signer: {e}"))?.clone();
    let message = SignedMessage::Bytes(parsed.signed_attrs_der.clone().ok_or("the token has no signed attributes")?);
    let spki = &tsa.tbs_certificate.subject_public_key_info;
    let outcome = verify_signature(spki, &info.signature_algorithm, Some(alg), &message, info.signature.as_bytes())?;
    if !outcome.verified {
        return Err(format!("the token's signature does not verify with the key of {}", signer_name(&tsa)));
    }
    Ok(Token { time, digest: imprint_alg, tsa, certs: parsed.certs })
}

/// TSTInfo (RFC 3161 §2.4.2): version, policy, messageImprint, serialNumber, genTime, ...
fn tst_info(der: &[u8]) -> Result<(AlgorithmIdentifierOwned, Vec<u8>, der::DateTime), String> {
    let fields = children(der).map_err(|e| e.to_string())?;
    let [_, _, imprint, _, gen_time, ..] = fields.as_slice() else {
        return Err("too few fields".into());
    };
    let imprint = children(imprint).map_err(|e| e.to_string())?;
    let [alg, hashed] = imprint.as_slice() else { return Err("a malformed messageImprint".into()) };
    let alg = AlgorithmIdentifierOwned::from_der(alg).map_err(|e| e.to_string())?;
    let hashed = OctetStringRef::from_der(hashed).map_err(|e| e.to_string())?.as_bytes().to_vec();
    Ok((alg, hashed, gen_time_of(gen_time)?))
}

/// genTime may carry fractions of a second, which DER's GeneralizedTime type refuses: the
/// whole seconds are read from its digits.
fn gen_time_of(tlv: &[u8]) -> Result<der::DateTime, String> {
    if let Ok(t) = GeneralizedTime::from_der(tlv) {
        return Ok(t.to_date_time());
    }
    let any = AnyRef::from_der(tlv).map_err(|e| e.to_string())?;
    let v = any.value();
    let digits = |from: usize, len: usize| -> Option<u32> {
        let s = std::str::from_utf8(v.get(from..from + len)?).ok()?;
        if !s.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        s.parse().ok()
    };
    let read = || -> Option<der::DateTime> {
        if v.last() != Some(&b'Z') {
            return None;
        }
        let year = u16::try_from(digits(0, 4)?).ok()?;
        let part = |at| digits(at, 2).and_then(|n| u8::try_from(n).ok());
        der::DateTime::new(year, part(4)?, part(6)?, part(8)?, part(10)?, part(12)?).ok()
    };
    read().ok_or_else(|| "genTime is not a UTC GeneralizedTime".into())
}

/// The signature timestamp among `attrs` (a SignerInfo's unsigned attributes), DER.
pub(super) fn signature_token(info: &cms::signed_data::SignerInfo) -> Option<Result<Vec<u8>, String>> {
    let attrs = info.unsigned_attrs.as_ref()?;
    let attr = attrs.iter().find(|a| a.oid == ID_AA_TIME_STAMP_TOKEN)?;
    Some(match attr.values.get(0) {
        Some(value) => value.to_der().map_err(|e| e.to_string()),
        None => Err("the signature timestamp attribute is empty".into()),
    })
}

/// The verdict on a document timestamp (`/SubFilter /ETSI.RFC3161`): `cms` is the token,
/// stamping the bytes `covered` of `file`. Its signer is the TSA.
pub(super) fn document_timestamp(
    mut verdict: super::SignatureVerdict,
    cms: &[u8],
    file: &[u8],
    covered: Option<super::CoveredRange>,
    trust: Option<&super::TrustAnchors>,
) -> super::SignatureVerdict {
    let Some(range) = covered else { return verdict };
    let digest =
        |alg: DigestAlg| alg.digest_parts(&[super::slice(file, 0, range.a), super::slice(file, range.b, range.end())]);
    match verify(cms, &digest) {
        Ok(token) => {
            verdict.intact = true;
            verdict.valid = true;
            verdict.digest_algorithm = token.digest.name();
            verdict.signer = signer_name(&token.tsa);
            verdict.signing_time = Some(token.time.to_string());
            if let Some(anchors) = trust {
                match super::chain_to_anchor(&token.tsa, &token.certs, anchors) {
                    Ok(_) => verdict.trusted = Some(true),
                    Err(reason) => verdict.problems.push(format!("not trusted: {reason}")),
                }
            }
        }
        Err(reason) => verdict.problems.push(format!("the document timestamp does not verify: {reason}")),
    }
    verdict
}
