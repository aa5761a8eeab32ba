//! Cryptographic verification of one PDF digital signature (SPEC section 5).
//!
//! A PDF signature (ISO 32000-2 section 12.8) is a signature dictionary whose `/ByteRange`
//! names the bytes it covers and whose `/Contents` hex string holds a detached CMS
//! `SignedData` (RFC 5652) over those bytes. [`verify`] answers separately, in the manner
//! of pyHanko's status objects, the questions a report needs:
//!
//! - **byte range**: `/ByteRange` is `[0 a b c]` and its one gap `[a, b)` is exactly the
//!   `/Contents` hex string, so every other byte of the revision is covered. Whether
//!   `b + c` is the end of a revision is the caller's to judge from the file's structure:
//!   [`SignatureVerdict::signed_len`] is exposed, and [`SignatureInput::revision_end`], when
//!   given, is checked here.
//! - **intact**: the digest of the covered bytes equals the CMS `messageDigest` attribute.
//! - **valid**: the CMS signature over the signed attributes verifies with the signer
//!   certificate's key (RSA PKCS#1 v1.5, RSASSA-PSS, ECDSA P-256 / P-384).
//! - **trusted** (only with [`TrustAnchors`]): the signer certificate chains, through the
//!   certificates carried in the CMS, to an anchor, every link verified cryptographically.
//!
//! A document is only as good as the weakest of these, so [`SignatureVerdict::ok`] needs
//! all of them, and every failed answer leaves a human-readable reason in
//! [`SignatureVerdict::problems`]. Nothing here panics on hostile input: every length and
//! offset taken from the file is checked before use.
//!
//! ```no_run
//! use formtool::verify::signature::{signatures_in, verify, TrustAnchors};
//!
//! let pdf = std::fs::read("returned.pdf")?;
//! let anchors = TrustAnchors::from_pem(&std::fs::read("partners-ca.pem")?)?;
//! for field in signatures_in(&pdf)? {
//!     let verdict = verify(&field.input, Some(&anchors));
//!     println!("{}: {} ({}) ok={}", field.name, verdict.signer,
//!              verdict.signing_time.as_deref().unwrap_or("no time"), verdict.ok());
//!     for problem in &verdict.problems {
//!         println!("  - {problem}");
//!     }
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Limits, chosen on purpose: the CMS must be DER (as the `der` crate reads it; BER with
//! indefinite lengths is reported as not a CMS SignedData); certificate validity periods,
//! revocation, path-length constraints and the CAdES signing-certificate attribute are not
//! checked; RSA keys above 8192 bits are refused to bound the work per signature.

use std::collections::HashSet;
use std::fmt;

use cms::signed_data::{EncapsulatedContentInfo, SignerIdentifier, SignerInfo};
use const_oid::ObjectIdentifier;
use der::asn1::{
    AnyRef, BmpString, Ia5StringRef, ObjectIdentifier as Oid, OctetStringRef, PrintableStringRef, TeletexStringRef,
    Utf8StringRef,
};
use der::{Decode, DecodePem, Encode, Reader, SliceReader};
use ecdsa::signature::hazmat::PrehashVerifier;
use sha1::Sha1;
use sha2::{Digest, Sha256, Sha384, Sha512};
use spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned};
use x509_cert::Certificate;
use x509_cert::ext::pkix::{BasicConstraints, KeyUsage, SubjectKeyIdentifier};
use x509_cert::name::Name;

use crate::pdf::Lookup;

mod pss;
mod timestamp;
mod usage;

/// How many certificates a trust chain may have, signer and anchor included. Real chains
/// have two to four; the bound keeps a hostile CMS from making chain building expensive.
pub const MAX_CHAIN_LEN: usize = 8;

/// Largest RSA modulus accepted, in bits. Verification cost grows with the square of the
/// size; 8192 is more than any signing certificate in use.
const MAX_RSA_BITS: usize = 8192;

/// The signature fields a PDF form tree may nest before we stop looking.
const MAX_FIELD_DEPTH: usize = 32;

// Object identifiers, spelled out so each can be checked against its RFC.
const ID_DATA: Oid = Oid::new_unwrap("1.2.840.113549.1.7.1"); // RFC 5652 §4
const ID_SIGNED_DATA: Oid = Oid::new_unwrap("1.2.840.113549.1.7.2"); // RFC 5652 §5.1
const ID_CONTENT_TYPE: Oid = Oid::new_unwrap("1.2.840.113549.1.9.3"); // RFC 5652 §11.1
const ID_MESSAGE_DIGEST: Oid = Oid::new_unwrap("1.2.840.113549.1.9.4"); // RFC 5652 §11.2
const ID_SIGNING_TIME: Oid = Oid::new_unwrap("1.2.840.113549.1.9.5"); // RFC 5652 §11.3
const ID_SHA1: Oid = Oid::new_unwrap("1.3.14.3.2.26");
const ID_SHA256: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.2.1"); // RFC 5754
const ID_SHA384: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.2.2");
const ID_SHA512: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.2.3");
const RSA_ENCRYPTION: Oid = Oid::new_unwrap("1.2.840.113549.1.1.1"); // RFC 8017 App. C
const ID_RSASSA_PSS: Oid = Oid::new_unwrap("1.2.840.113549.1.1.10");
const ID_MGF1: Oid = Oid::new_unwrap("1.2.840.113549.1.1.8");
const SHA1_WITH_RSA: Oid = Oid::new_unwrap("1.2.840.113549.1.1.5");
const SHA256_WITH_RSA: Oid = Oid::new_unwrap("1.2.840.113549.1.1.11");
const SHA384_WITH_RSA: Oid = Oid::new_unwrap("1.2.840.113549.1.1.12");
const SHA512_WITH_RSA: Oid = Oid::new_unwrap("1.2.840.113549.1.1.13");
const ID_EC_PUBLIC_KEY: Oid = Oid::new_unwrap("1.2.840.10045.2.1"); // RFC 5480
const ECDSA_WITH_SHA1: Oid = Oid::new_unwrap("1.2.840.10045.4.1"); // RFC 5758
const ECDSA_WITH_SHA256: Oid = Oid::new_unwrap("1.2.840.10045.4.3.2");
const ECDSA_WITH_SHA384: Oid = Oid::new_unwrap("1.2.840.10045.4.3.3");
const ECDSA_WITH_SHA512: Oid = Oid::new_unwrap("1.2.840.10045.4.3.4");
const SECP256R1: Oid = Oid::new_unwrap("1.2.840.10045.3.1.7");
const SECP384R1: Oid = Oid::new_unwrap("1.3.132.0.34");
const AT_COMMON_NAME: Oid = Oid::new_unwrap("2.5.4.3"); // X.520
const AT_EMAIL_ADDRESS: Oid = Oid::new_unwrap("1.2.840.113549.1.9.1"); // PKCS #9

/// What the caller extracted from one signature dictionary (ISO 32000-2 §12.8.1, Table 255),
/// plus the file the `/ByteRange` points into.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureInput<'a> {
    /// The whole file as read from disk.
    pub file: &'a [u8],
    /// `/ByteRange` as written; anything that is not an integer should be passed as an empty
    /// vector, which fails the byte-range check.
    pub byte_range: Vec<i64>,
    /// `/Contents` decoded from hex: DER of the CMS `ContentInfo`, usually zero-padded.
    pub contents: Vec<u8>,
    /// `/SubFilter` without the slash, e.g. `adbe.pkcs7.detached`.
    pub sub_filter: String,
    /// Where the revision holding this signature dictionary ends (just past its `%%EOF`
    /// line), when the caller knows it; the byte range must then end exactly there.
    pub revision_end: Option<usize>,
}

/// The answers for one signature. `ok()` is the conjunction; the fields say which part
/// failed and `problems` says why, one sentence each.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureVerdict {
    /// `/ByteRange` is `[0 a b c]`, in bounds, and its gap is exactly this `/Contents` string
    /// (and, with `revision_end`, it ends at the end of the revision).
    pub byte_range_ok: bool,
    /// `b + c`: the length of the file as it was when signed (0 if the range is unusable).
    pub signed_len: usize,
    /// The digest of the covered bytes equals the CMS `messageDigest`.
    pub intact: bool,
    /// The CMS signature verifies with the signer certificate's public key.
    pub valid: bool,
    /// `SHA-1`, `SHA-256`, `SHA-384`, `SHA-512`, or `unknown`.
    pub digest_algorithm: &'static str,
    /// SHA-1 digest (collisions are practical), or an RSA key under 2048 bits.
    pub weak: bool,
    /// `RSA PKCS#1 v1.5`, `RSA-PSS`, `ECDSA P-256`, `ECDSA P-384`, or `unknown`.
    pub signature_algorithm: &'static str,
    /// Subject common name of the signer certificate, else its email, else its subject DN;
    /// empty when no signer certificate was found. Control characters are replaced.
    pub signer: String,
    /// The `signingTime` signed attribute as RFC 3339 UTC (`2025-03-14T09:26:53Z`). It is
    /// the signer's claim, not a trusted timestamp. PAdES signatures carry none (their time
    /// is the dictionary's `/M`).
    pub signing_time: Option<String>,
    /// `None` without trust anchors; otherwise whether the signer chains to one.
    pub trusted: Option<bool>,
    /// Why the signature is not ok, one human-readable reason each; empty when it is.
    pub problems: Vec<String>,
}

impl SignatureVerdict {
    /// Every check holds: byte range, digest, signature, trust when asked, nothing else
    /// wrong (such as an unsupported `/SubFilter`).
    pub fn ok(&self) -> bool {
        self.byte_range_ok && self.intact && self.valid && self.trusted != Some(false) && self.problems.is_empty()
    }

    fn new(trust_asked: bool) -> Self {
        SignatureVerdict {
            byte_range_ok: false,
            signed_len: 0,
            intact: false,
            valid: false,
            digest_algorithm: "unknown",
            weak: false,
            signature_algorithm: "unknown",
            signer: String::new(),
            signing_time: None,
            trusted: trust_asked.then_some(false),
            problems: Vec::new(),
        }
    }
}

/// Certificates a user trusts as roots of signer chains (`--trust PEM`).
#[derive(Debug, Clone)]
pub struct TrustAnchors {
    certs: Vec<Certificate>,
}

/// Why a trust-anchor file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum TrustAnchorError {
    #[error("not a PEM certificate file: {0}")]
    Pem(String),
    #[error("no certificates in the PEM file")]
    Empty,
}

impl TrustAnchors {
    /// Reads one or more `-----BEGIN CERTIFICATE-----` blocks; text between blocks (bundle
    /// comments) is ignored. (`Certificate::load_pem_chain` is not used: it panics on empty
    /// input in x509-cert 0.2.5.)
    pub fn from_pem(bytes: &[u8]) -> Result<TrustAnchors, TrustAnchorError> {
        const BEGIN: &[u8] = b"-----BEGIN CERTIFICATE-----";
        const END: &[u8] = b"-----END CERTIFICATE-----";
        let find = |hay: &[u8], needle: &[u8]| hay.windows(needle.len()).position(|w| w == needle);
        let mut certs = Vec::new();
        let mut rest = bytes;
        while let Some(start) = find(rest, BEGIN) {
            let block = slice(rest, start, rest.len());
            let end = find(block, END).ok_or_else(|| TrustAnchorError::Pem("a certificate has no END line".into()))?
                + END.len();
            let cert = Certificate::from_pem(slice(block, 0, end))
                .map_err(|e| TrustAnchorError::Pem(format!("certificate {}: {e}", certs.len() + 1)))?;
            certs.push(cert);
            rest = slice(block, end, block.len());
        }
        if certs.is_empty() {
            return Err(TrustAnchorError::Empty);
        }
        Ok(TrustAnchors { certs })
    }

    pub fn len(&self) -> usize {
        self.certs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.certs.is_empty()
    }
}

/// SHA-256 states of a file's prefixes. A form's signatures cover nested prefixes of the file
/// (each minus its own `/Contents`), and the report names the whole file's SHA-256: with the
/// states at each gap start computed in one pass, every byte is hashed about once, not once
/// per signature.
pub struct PrefixHashes<'a> {
    file: &'a [u8],
    /// (offset, state after hashing `file[..offset]`), by offset.
    states: Vec<(usize, Sha256)>,
}

impl<'a> PrefixHashes<'a> {
    /// Hashes `file` once, keeping the state at each of `offsets` (past the end is ignored).
    pub fn new(file: &'a [u8], offsets: &[usize]) -> Self {
        let mut marks: Vec<usize> = offsets.iter().copied().filter(|o| *o <= file.len()).collect();
        marks.push(file.len());
        marks.sort_unstable();
        marks.dedup();
        let mut states = Vec::with_capacity(marks.len() + 1);
        let (mut at, mut state) = (0, Sha256::new());
        for mark in marks {
            state.update(&file[at..mark]);
            at = mark;
            states.push((mark, state.clone()));
        }
        PrefixHashes { file, states }
    }

    /// The state after `file[..offset]`, from the nearest kept state before it.
    fn state_at(&self, offset: usize) -> Sha256 {
        let offset = offset.min(self.file.len());
        match self.states.iter().rev().find(|(at, _)| *at <= offset) {
            Some((at, state)) => {
                let mut state = state.clone();
                state.update(&self.file[*at..offset]);
                state
            }
            None => {
                let mut state = Sha256::new();
                state.update(&self.file[..offset]);
                state
            }
        }
    }

    /// SHA-256 of `file[..a]` followed by `file[b..end]`.
    fn digest_around(&self, a: usize, b: usize, end: usize) -> Vec<u8> {
        let mut state = self.state_at(a);
        state.update(slice(self.file, b, end));
        state.finalize().to_vec()
    }

    /// The whole file's SHA-256, in hex.
    pub fn file_hex(&self) -> String {
        self.state_at(self.file.len()).finalize().iter().map(|b| format!("{b:02x}")).collect()
    }
}

/// Certificates parsed from one file's signatures, by their encoding: a form's signers often
/// share a CA, whose certificate each signature carries, and parsing one takes a few
/// microseconds where a copy takes a tenth of that.
#[derive(Default)]
pub struct Certificates(std::cell::RefCell<Vec<(Vec<u8>, Certificate)>>);

impl Certificates {
    /// At most this many are kept: a real form has a handful, a hostile one is not helped.
    const MAX_KEPT: usize = 16;

    /// `der` parsed, from `cache` when it has been before.
    fn parse(cache: Option<&Self>, der: &[u8]) -> der::Result<Certificate> {
        let Some(cache) = cache else { return Certificate::from_der(der) };
        if let Some((_, cert)) = cache.0.borrow().iter().find(|(kept, _)| kept.as_slice() == der) {
            return Ok(cert.clone());
        }
        let cert = Certificate::from_der(der)?;
        let mut kept = cache.0.borrow_mut();
        if kept.len() < Self::MAX_KEPT {
            kept.push((der.to_vec(), cert.clone()));
        }
        Ok(cert)
    }
}

/// Verifies one signature. Never panics; every failure is a field plus a problem.
pub fn verify(input: &SignatureInput, trust: Option<&TrustAnchors>) -> SignatureVerdict {
    verify_with(input, trust, None, None)
}

/// [`verify`], taking SHA-256 digests of the covered bytes from `hashes` (of the same file)
/// and certificates already parsed from `certificates` (of the same file) when given.
pub fn verify_with(
    input: &SignatureInput,
    trust: Option<&TrustAnchors>,
    hashes: Option<&PrefixHashes>,
    certificates: Option<&Certificates>,
) -> SignatureVerdict {
    let mut verdict = SignatureVerdict::new(trust.is_some());

    match input.sub_filter.as_str() {
        "adbe.pkcs7.detached" | "ETSI.CAdES.detached" | "ETSI.RFC3161" => {}
        other => verdict
            .problems
            .push(format!("unsupported /SubFilter {other:?} (expected adbe.pkcs7.detached or ETSI.CAdES.detached)")),
    }

    // 1. Byte range. The covered bytes are usable for a digest as soon as the numbers are
    // sane, even if the gap is wrong, so a report can say "intact, but the range is bad".
    let mut cms_bytes: &[u8] = &input.contents;
    let gap_contents;
    let covered = match byte_range_numbers(input.file.len(), &input.byte_range) {
        Err(reason) => {
            verdict.problems.push(reason);
            None
        }
        Ok(range) => {
            verdict.signed_len = range.end();
            let mut range_ok = true;
            match gap_hex_string(input.file, range.a, range.b) {
                Err(reason) => {
                    verdict.problems.push(reason);
                    range_ok = false;
                }
                Ok(decoded) => {
                    if strip_zero_padding(&decoded) != strip_zero_padding(&input.contents) {
                        verdict.problems.push("the ByteRange gap is not this signature's /Contents string".into());
                        range_ok = false;
                    } else {
                        // The gap is what was really excluded from the digest; read the CMS
                        // from there rather than trust the caller's copy.
                        gap_contents = decoded;
                        cms_bytes = &gap_contents;
                    }
                }
            }
            if let Some(end) = input.revision_end {
                let signed = range.end();
                if signed < end {
                    verdict.problems.push(format!("ByteRange stops {} bytes short of the revision end", end - signed));
                    range_ok = false;
                } else if signed > end {
                    verdict.problems.push(format!("ByteRange runs {} bytes past the revision end", signed - end));
                    range_ok = false;
                }
            }
            verdict.byte_range_ok = range_ok;
            Some(range)
        }
    };

    // A document timestamp is a timestamp token over the byte range, not a signature.
    if input.sub_filter == "ETSI.RFC3161" {
        return timestamp::document_timestamp(verdict, cms_bytes, input.file, covered, trust);
    }

    // 2. The CMS structure.
    let parsed = match parse_cms(cms_bytes, certificates) {
        Ok(parsed) => parsed,
        Err(reason) => {
            verdict.problems.push(reason);
            if trust.is_some() {
                verdict.problems.push("not trusted: no signer certificate".into());
            }
            return verdict;
        }
    };
    let info = &parsed.signer_info;

    let digest_alg = match DigestAlg::from_oid(&info.digest_alg.oid) {
        Some(alg) => {
            verdict.digest_algorithm = alg.name();
            verdict.weak = alg == DigestAlg::Sha1;
            Some(alg)
        }
        None => {
            verdict.problems.push(format!("unsupported digest algorithm {}", info.digest_alg.oid));
            None
        }
    };

    let signer_cert = find_signer(&parsed.certs, &info.sid);
    match signer_cert {
        Ok(cert) => verdict.signer = signer_name(cert),
        Err(ref reason) => verdict.problems.push(reason.clone()),
    }

    // 3. Digest of the covered bytes.
    let content_digest = match (digest_alg, &covered) {
        (Some(DigestAlg::Sha256), Some(range)) if let Some(hashes) = hashes => {
            Some(hashes.digest_around(range.a, range.b, range.end()))
        }
        (Some(alg), Some(range)) => {
            Some(alg.digest_parts(&[slice(input.file, 0, range.a), slice(input.file, range.b, range.end())]))
        }
        _ => None,
    };

    // 4. What the signature is over: the signed attributes re-tagged as a SET, or (adbe
    // only) the content digest itself.
    let mut signed_time: Option<der::DateTime> = None;
    let signed_message: Option<SignedMessage> = match &parsed.signed_attrs_der {
        Some(attrs_der) => {
            let attrs = match check_signed_attrs(info) {
                Ok(attrs) => attrs,
                Err(reason) => {
                    verdict.problems.push(reason);
                    SignedAttrs::default()
                }
            };
            verdict.signing_time = attrs.signing_time;
            signed_time = attrs.signing_datetime;
            match (&content_digest, &attrs.message_digest) {
                (Some(ours), Some(theirs)) if ours == theirs => verdict.intact = true,
                (Some(_), Some(_)) => {
                    verdict.problems.push("digest mismatch: the signed bytes were changed after signing".into())
                }
                (Some(_), None) => {} // reason already given by check_signed_attrs
                (None, _) => verdict.problems.push("cannot compute the digest of the signed bytes".into()),
            }
            Some(SignedMessage::Bytes(attrs_der.clone()))
        }
        None => {
            if input.sub_filter == "ETSI.CAdES.detached" {
                verdict.problems.push("ETSI.CAdES.detached signature without signed attributes".into());
            }
            match (&content_digest, digest_alg) {
                (Some(digest), Some(alg)) => Some(SignedMessage::Digest(alg, digest.clone())),
                (None, Some(_)) => {
                    verdict.problems.push("cannot compute the digest of the signed bytes".into());
                    None
                }
                _ => None,
            }
        }
    };

    // 5. The signature itself.
    if let (Ok(cert), Some(message)) = (&signer_cert, signed_message) {
        let spki = &cert.tbs_certificate.subject_public_key_info;
        let fallback = digest_alg;
        match verify_signature(spki, &info.signature_algorithm, fallback, &message, info.signature.as_bytes()) {
            Ok(outcome) => {
                verdict.signature_algorithm = outcome.algorithm;
                if outcome.weak_key {
                    verdict.weak = true;
                }
                if outcome.hash == DigestAlg::Sha1 {
                    verdict.weak = true;
                }
                if outcome.verified {
                    verdict.valid = true;
                    if parsed.signed_attrs_der.is_none() {
                        // Without signed attributes the signature is over the content
                        // digest itself, so verifying it proves the bytes are intact.
                        verdict.intact = true;
                    }
                } else {
                    verdict
                        .problems
                        .push(format!("the {} signature does not verify with the signer's key", outcome.algorithm));
                }
            }
            Err(reason) => verdict.problems.push(reason),
        }
    }

    // 5b. When it was signed — by the signature timestamp (once verified), else the signed
    // signingTime, else now — and whether the certificate allowed that signature then.
    let mut when: Option<(der::DateTime, &str)> = None;
    if let Ok(cert) = &signer_cert {
        let stamped = match timestamp::signature_token(info) {
            Some(Ok(token)) => match timestamp::verify(&token, &|alg| alg.digest_parts(&[info.signature.as_bytes()])) {
                Ok(token) => Some(token.time),
                Err(reason) => {
                    verdict.problems.push(format!("the signature timestamp does not verify: {reason}"));
                    None
                }
            },
            Some(Err(reason)) => {
                verdict.problems.push(format!("the signature timestamp cannot be read: {reason}"));
                None
            }
            None => None,
        };
        when = match (stamped, signed_time) {
            (Some(t), _) => Some((t, "the time of its signature timestamp")),
            (None, Some(t)) => Some((t, "its signingTime")),
            (None, None) => der::DateTime::from_system_time(std::time::SystemTime::now())
                .ok()
                .map(|t| (t, "the time of verification: it states no signing time")),
        };
        if let Some((time, source)) = when
            && let Err(reason) = usage::valid_at(cert, time, source)
        {
            verdict.problems.push(reason);
        }
        if let Err(reason) = usage::allows_signing(cert) {
            verdict.problems.push(reason);
        }
    }

    // 6. Trust: a chain to an anchor, every certificate of it valid at the signing time.
    if let Some(anchors) = trust {
        match signer_cert {
            Ok(cert) => match chain_to_anchor(cert, &parsed.certs, anchors) {
                Ok(chain) => {
                    let expired: Vec<String> = match when {
                        Some((time, source)) => {
                            chain.iter().skip(1).filter_map(|c| usage::valid_at(c, time, source).err()).collect()
                        }
                        None => Vec::new(),
                    };
                    if expired.is_empty() {
                        verdict.trusted = Some(true);
                    } else {
                        verdict.problems.extend(expired.into_iter().map(|r| format!("not trusted: {r}")));
                    }
                }
                Err(reason) => verdict.problems.push(format!("not trusted: {reason}")),
            },
            Err(_) => verdict.problems.push("not trusted: no signer certificate".into()),
        }
    }

    verdict
}

// ---------------------------------------------------------------------------------------------
// Byte range
// ---------------------------------------------------------------------------------------------

/// A checked `[0 a b c]`: `0 < a < b`, `c > 0`, `b + c <= file length`.
#[derive(Debug, Clone, Copy)]
struct CoveredRange {
    a: usize,
    b: usize,
    c: usize,
}

impl CoveredRange {
    fn end(&self) -> usize {
        // SAFETY-style note: byte_range_numbers checked that b + c does not overflow and is
        // within the file.
        self.b + self.c
    }
}

fn byte_range_numbers(file_len: usize, values: &[i64]) -> Result<CoveredRange, String> {
    let [start, a, b, c] = values else {
        return Err(format!("ByteRange must be four integers, found {} values", values.len()));
    };
    if values.iter().any(|v| *v < 0) {
        return Err(format!("ByteRange {values:?} has a negative value"));
    }
    if *start != 0 {
        return Err(format!("ByteRange starts at {start}, not 0: bytes before it are not signed"));
    }
    let to_usize = |v: i64| usize::try_from(v).map_err(|_| format!("ByteRange value {v} is too large"));
    let (a, b, c) = (to_usize(*a)?, to_usize(*b)?, to_usize(*c)?);
    if a == 0 || a >= b {
        return Err(format!("ByteRange {values:?} is not in order (needs 0 < a < b)"));
    }
    if c == 0 {
        return Err("ByteRange covers nothing after /Contents".into());
    }
    match b.checked_add(c) {
        Some(end) if end <= file_len => Ok(CoveredRange { a, b, c }),
        _ => Err(format!("ByteRange {values:?} runs past the end of the file ({file_len} bytes)")),
    }
}

/// The gap `[a, b)` must be one hex string (ISO 32000-2 §7.3.4.3): `<`, hex digits and
/// white space, `>`. Returns its decoded bytes.
fn gap_hex_string(file: &[u8], a: usize, b: usize) -> Result<Vec<u8>, String> {
    let gap = slice(file, a, b);
    let (Some(b'<'), Some(b'>')) = (gap.first(), gap.last()) else {
        return Err(format!("ByteRange gap [{a}, {b}) is not the /Contents hex string (it must run from '<' to '>')"));
    };
    let inner = slice(gap, 1, gap.len().saturating_sub(1));
    crate::pdf::revisions::hex_body(inner).map_err(|i| {
        format!(
            "ByteRange gap [{a}, {b}) is not only the /Contents hex string: byte {:#04x} at offset {}",
            inner[i],
            a + 1 + i
        )
    })
}

fn strip_zero_padding(bytes: &[u8]) -> &[u8] {
    let end = bytes.iter().rposition(|b| *b != 0).map_or(0, |i| i + 1);
    &bytes[..end]
}

/// `bytes[from..to]`, empty instead of panicking when out of range.
fn slice(bytes: &[u8], from: usize, to: usize) -> &[u8] {
    bytes.get(from..to).unwrap_or(&[])
}

// ---------------------------------------------------------------------------------------------
// CMS
// ---------------------------------------------------------------------------------------------

struct ParsedCms {
    /// The encapsulated content, when embedded (a timestamp token's TSTInfo).
    econtent: Option<Vec<u8>>,
    signer_info: SignerInfo,
    certs: Vec<Certificate>,
    /// The signed attributes exactly as the signer encoded them, re-tagged from `[0]` to SET
    /// (RFC 5652 §5.4): re-encoding would silently re-sort a non-DER SET and break the check.
    signed_attrs_der: Option<Vec<u8>>,
}

/// RFC 5652 §5.1 SignedData, read field by field rather than with `cms::SignedData`:
/// NSS repeats the signer certificate in `certificates`, which a strict SET OF decoder
/// rejects as a duplicate, and the signed attributes are needed as encoded.
fn parse_cms(contents: &[u8], certificates: Option<&Certificates>) -> Result<ParsedCms, String> {
    parse_signed_data(contents, ID_DATA, certificates)
}

/// [`parse_cms`] for SignedData encapsulating `content_type`: id-data must be detached, any
/// other content (a timestamp token's TSTInfo) embedded.
fn parse_signed_data(
    contents: &[u8],
    content_type: Oid,
    certificates: Option<&Certificates>,
) -> Result<ParsedCms, String> {
    const NOT_CMS: &str = "/Contents is not a CMS SignedData";
    let not_cms = |e: der::Error| format!("{NOT_CMS}: {e}");
    // NSS (poppler, Firefox-era tools) writes BER with indefinite lengths; normalise to DER
    // first so one strict parser reads everything.
    let (der_bytes, used) = ber::to_der(contents).map_err(|e| format!("{NOT_CMS}: {e}"))?;
    let rest = slice(contents, used, contents.len());
    if rest.iter().any(|b| *b != 0) {
        return Err(format!("/Contents has {} bytes after the CMS that are not zero padding", rest.len()));
    }
    // ContentInfo ::= SEQUENCE { contentType OID, content [0] EXPLICIT ANY }, read in place
    // (cms::ContentInfo copies the content out and would be encoded again to read it).
    let (content_type_der, explicit) = match (der_bytes.first(), children(&der_bytes).map_err(not_cms)?.as_slice()) {
        (Some(0x30), [content_type, explicit]) => (*content_type, *explicit),
        _ => return Err(format!("{NOT_CMS}: ContentInfo is not a content type and a content")),
    };
    let info_content_type = ObjectIdentifier::from_der(content_type_der).map_err(not_cms)?;
    if info_content_type != ID_SIGNED_DATA {
        return Err(format!("{NOT_CMS}: its content type is {info_content_type}"));
    }
    let signed_data = match (explicit.first(), children(explicit).map_err(not_cms)?.as_slice()) {
        (Some(0xA0), [content]) => *content,
        _ => return Err(format!("{NOT_CMS}: ContentInfo's content is not one explicitly tagged element")),
    };
    let fields = children(signed_data).map_err(not_cms)?;
    let tags: Vec<u8> = fields.iter().map(|f| f.first().copied().unwrap_or(0)).collect();
    // version, digestAlgorithms, encapContentInfo, [0] certificates?, [1] crls?, signerInfos
    let (encap, certs_field, signer_infos) = match tags.as_slice() {
        [0x02, 0x31, 0x30, middle @ .., 0x31] => {
            let certs = match middle {
                [] | [0xA1] => None,
                [0xA0] | [0xA0, 0xA1] => Some(fields[3]),
                _ => return Err(format!("{NOT_CMS}: unexpected fields in SignedData")),
            };
            (fields[2], certs, fields[fields.len() - 1])
        }
        _ => {
            return Err(format!("{NOT_CMS}: SignedData fields are not as RFC 5652 defines"));
        }
    };
    let encap = EncapsulatedContentInfo::from_der(encap).map_err(not_cms)?;
    if encap.econtent_type != content_type {
        let expected = if content_type == ID_DATA { "id-data".to_string() } else { content_type.to_string() };
        return Err(format!("CMS encapsulates {}, not {expected}", encap.econtent_type));
    }
    let econtent = match (&encap.econtent, content_type == ID_DATA) {
        (Some(_), true) => return Err("CMS is not detached: it embeds its own content".into()),
        (None, true) => None,
        (None, false) => return Err("CMS does not embed its content".into()),
        (Some(any), false) => Some(any.value().to_vec()),
    };
    let infos = children(signer_infos).map_err(not_cms)?;
    let [info_der] = infos.as_slice() else {
        return Err(format!("CMS has {} SignerInfos; a PDF signature needs exactly one", infos.len()));
    };
    let signer_info = SignerInfo::from_der(info_der).map_err(not_cms)?;
    // Certificates that do not parse, or are other CertificateChoices, are simply not
    // candidates for the signer or its chain.
    let mut certs: Vec<Certificate> = Vec::new();
    if let Some(field) = certs_field {
        for cert_der in children(field).map_err(not_cms)? {
            if let Ok(cert) = Certificates::parse(certificates, cert_der)
                && !certs.contains(&cert)
            {
                certs.push(cert);
            }
        }
    }
    let signed_attrs_der = if signer_info.signed_attrs.is_some() {
        // SignerInfo: version, sid, digestAlgorithm, [0] signedAttrs, ...
        let parts = children(info_der).map_err(not_cms)?;
        match parts.get(3) {
            Some(attrs) if attrs.first() == Some(&0xA0) => {
                let mut der = attrs.to_vec();
                der[0] = 0x31;
                Some(der)
            }
            _ => return Err(format!("{NOT_CMS}: cannot locate the signed attributes")),
        }
    } else {
        None
    };
    Ok(ParsedCms { econtent, signer_info, certs, signed_attrs_der })
}

/// The encoded elements inside a constructed DER element.
fn children(tlv: &[u8]) -> Result<Vec<&[u8]>, der::Error> {
    let any = AnyRef::from_der(tlv)?;
    let mut reader = SliceReader::new(any.value())?;
    let mut out = Vec::new();
    while !reader.is_finished() {
        out.push(reader.tlv_bytes()?);
    }
    Ok(out)
}

#[derive(Default)]
struct SignedAttrs {
    message_digest: Option<Vec<u8>>,
    signing_time: Option<String>,
    signing_datetime: Option<der::DateTime>,
}

/// RFC 5652 §5.3: with signed attributes, contentType (= id-data) and messageDigest must be
/// present, each once with one value; signingTime at most once.
fn check_signed_attrs(info: &SignerInfo) -> Result<SignedAttrs, String> {
    check_signed_attrs_for(info, ID_DATA)
}

/// [`check_signed_attrs`] with contentType `content_type`.
fn check_signed_attrs_for(info: &SignerInfo, content_type: Oid) -> Result<SignedAttrs, String> {
    let mut out = SignedAttrs::default();
    let Some(attrs) = &info.signed_attrs else {
        return Ok(out);
    };
    let single = |oid: Oid, name: &str| -> Result<Option<&der::asn1::Any>, String> {
        let mut found = attrs.iter().filter(|a| a.oid == oid);
        let Some(attr) = found.next() else {
            return Ok(None);
        };
        if found.next().is_some() || attr.values.len() != 1 {
            return Err(format!("the {name} signed attribute appears more than once"));
        }
        Ok(attr.values.get(0))
    };
    match single(ID_CONTENT_TYPE, "contentType")? {
        None => return Err("the contentType signed attribute is missing".into()),
        Some(value) => match value.decode_as::<Oid>() {
            Ok(oid) if oid == content_type => {}
            _ => return Err(format!("the contentType signed attribute is not {content_type}")),
        },
    }
    match single(ID_MESSAGE_DIGEST, "messageDigest")? {
        None => return Err("the messageDigest signed attribute is missing".into()),
        Some(value) => match value.decode_as::<OctetStringRef>() {
            Ok(octets) => out.message_digest = Some(octets.as_bytes().to_vec()),
            Err(_) => {
                return Err("the messageDigest signed attribute is not an OCTET STRING".into());
            }
        },
    }
    if let Some(value) = single(ID_SIGNING_TIME, "signingTime")? {
        // RFC 5652 §11.3: Time ::= CHOICE { utcTime, generalizedTime }.
        let time = value
            .decode_as::<der::asn1::UtcTime>()
            .map(|t| t.to_date_time())
            .or_else(|_| value.decode_as::<der::asn1::GeneralizedTime>().map(|t| t.to_date_time()))
            .map_err(|_| "the signingTime signed attribute is not a time".to_string())?;
        out.signing_time = Some(time.to_string());
        out.signing_datetime = Some(time);
    }
    Ok(out)
}

fn find_signer<'c>(certs: &'c [Certificate], sid: &SignerIdentifier) -> Result<&'c Certificate, String> {
    let matches: Vec<&Certificate> = certs
        .iter()
        .filter(|cert| match sid {
            SignerIdentifier::IssuerAndSerialNumber(ias) => {
                cert.tbs_certificate.issuer == ias.issuer && cert.tbs_certificate.serial_number == ias.serial_number
            }
            SignerIdentifier::SubjectKeyIdentifier(ski) => subject_key_id(cert).as_deref() == Some(ski.0.as_bytes()),
        })
        .collect();
    match matches.as_slice() {
        [] => Err("the signer certificate is not in the CMS".into()),
        [one] => Ok(one),
        _ => Err("the CMS carries several different certificates matching the signer".into()),
    }
}

/// The SubjectKeyIdentifier extension, else the RFC 5280 §4.2.1.2 method (1) value.
fn subject_key_id(cert: &Certificate) -> Option<Vec<u8>> {
    if let Ok(Some((_, ski))) = cert.tbs_certificate.get::<SubjectKeyIdentifier>() {
        return Some(ski.0.as_bytes().to_vec());
    }
    let key = cert.tbs_certificate.subject_public_key_info.subject_public_key.raw_bytes();
    Some(Sha1::digest(key).to_vec())
}

fn signer_name(cert: &Certificate) -> String {
    let subject = &cert.tbs_certificate.subject;
    let name = name_attribute(subject, AT_COMMON_NAME)
        .or_else(|| name_attribute(subject, AT_EMAIL_ADDRESS))
        .or_else(|| san_email(cert))
        .unwrap_or_else(|| subject.to_string());
    name.chars().map(|c| if c.is_control() { '\u{FFFD}' } else { c }).collect()
}

fn name_attribute(name: &Name, oid: Oid) -> Option<String> {
    name.0.iter().rev().flat_map(|rdn| rdn.0.iter()).find_map(|atv| {
        if atv.oid != oid {
            return None;
        }
        let value = &atv.value;
        value
            .decode_as::<Utf8StringRef>()
            .map(|s| s.as_str().to_owned())
            .or_else(|_| value.decode_as::<PrintableStringRef>().map(|s| s.as_str().to_owned()))
            .or_else(|_| value.decode_as::<Ia5StringRef>().map(|s| s.as_str().to_owned()))
            .or_else(|_| value.decode_as::<TeletexStringRef>().map(|s| s.as_str().to_owned()))
            .or_else(|_| value.decode_as::<BmpString>().map(|s| s.to_string()))
            .ok()
            .filter(|s| !s.is_empty())
    })
}

fn san_email(cert: &Certificate) -> Option<String> {
    use x509_cert::ext::pkix::SubjectAltName;
    use x509_cert::ext::pkix::name::GeneralName;
    let (_, san) = cert.tbs_certificate.get::<SubjectAltName>().ok()??;
    san.0.iter().find_map(|name| match name {
        GeneralName::Rfc822Name(email) => Some(email.as_str().to_owned()),
        _ => None,
    })
}

/// BER (X.690 §8) to DER (§10) for what CMS producers actually emit: indefinite lengths,
/// non-minimal lengths and constructed OCTET STRINGs. SET OF order is kept as encoded, so
/// signed attributes keep the bytes their signer hashed. Bounded: nesting depth is capped
/// and the output is never more than a few bytes per element longer than the input.
mod ber {
    use std::borrow::Cow;

    const MAX_DEPTH: usize = 64;
    const OCTET_STRING: u8 = 0x04;
    const CONSTRUCTED_OCTET_STRING: u8 = 0x24;

    /// Converts the first element of `input`; returns it as DER and the bytes it used.
    pub(super) fn to_der(input: &[u8]) -> Result<(Cow<'_, [u8]>, usize), String> {
        // Most signers already write DER: then the conversion would copy it unchanged.
        if let Some(used) = already_der(input, 0) {
            return Ok((Cow::Borrowed(&input[..used]), used));
        }
        let mut out = Vec::with_capacity(input.len());
        let used = element(input, 0, &mut out)?;
        Ok((Cow::Owned(out), used))
    }

    /// The length of the first element of `input` when [`element`] would write it back
    /// byte for byte: definite, minimally encoded lengths throughout and no constructed
    /// OCTET STRING.
    fn already_der(input: &[u8], depth: usize) -> Option<usize> {
        if depth > MAX_DEPTH {
            return None;
        }
        let tag_len = tag_length(input).ok()?;
        let tag = input.get(..tag_len)?;
        let (length, header_len) = length(input.get(tag_len..)?).ok()?;
        let length = length?;
        let minimal_header =
            if length < 0x80 { 1 } else { 1 + (usize::BITS / 8 - length.leading_zeros() / 8) as usize };
        if header_len != minimal_header || tag == [CONSTRUCTED_OCTET_STRING] {
            return None;
        }
        let start = tag_len + header_len;
        let end = start.checked_add(length).filter(|end| *end <= input.len())?;
        if tag[0] & 0x20 != 0 {
            let content = &input[start..end];
            let mut at = 0;
            while at < content.len() {
                at += already_der(&content[at..], depth + 1)?;
            }
        }
        Some(end)
    }

    fn element(input: &[u8], depth: usize, out: &mut Vec<u8>) -> Result<usize, String> {
        if depth > MAX_DEPTH {
            return Err(format!("nested more than {MAX_DEPTH} levels deep"));
        }
        let tag_len = tag_length(input)?;
        let tag = input.get(..tag_len).ok_or("truncated tag")?;
        let constructed = tag.first().is_some_and(|t| t & 0x20 != 0);
        let (length, header_len) = length(input.get(tag_len..).ok_or("truncated length")?)?;
        let mut pos = tag_len + header_len;
        let mut body = Vec::new();
        match length {
            Some(n) => {
                let end = pos
                    .checked_add(n)
                    .filter(|end| *end <= input.len())
                    .ok_or("an element's length runs past the end of the data")?;
                let content = input.get(pos..end).ok_or("truncated element")?;
                if !constructed {
                    write(out, tag, content);
                    return Ok(end);
                }
                let mut at = 0;
                while at < content.len() {
                    at += element(content.get(at..).unwrap_or(&[]), depth + 1, &mut body)?;
                }
                pos = end;
            }
            None => {
                if !constructed {
                    return Err("indefinite length on a primitive element".into());
                }
                loop {
                    let rest = input.get(pos..).unwrap_or(&[]);
                    if rest.is_empty() {
                        return Err("indefinite length without end-of-contents".into());
                    }
                    if rest.starts_with(&[0, 0]) {
                        pos += 2;
                        break;
                    }
                    pos += element(rest, depth + 1, &mut body)?;
                }
            }
        }
        if tag == [CONSTRUCTED_OCTET_STRING] {
            write(out, &[OCTET_STRING], &join_octet_strings(&body)?);
        } else {
            write(out, tag, &body);
        }
        Ok(pos)
    }

    /// The segments of a constructed OCTET STRING (already DER), concatenated.
    fn join_octet_strings(mut body: &[u8]) -> Result<Vec<u8>, String> {
        let mut joined = Vec::with_capacity(body.len());
        while !body.is_empty() {
            if body.first() != Some(&OCTET_STRING) {
                return Err("constructed OCTET STRING with a non-OCTET STRING segment".into());
            }
            let (len, header) = length(body.get(1..).unwrap_or(&[]))?;
            let len = len.ok_or("indefinite segment")?;
            let start = 1 + header;
            let end = start.checked_add(len).ok_or("segment too long")?;
            joined.extend_from_slice(body.get(start..end).ok_or("truncated segment")?);
            body = body.get(end..).unwrap_or(&[]);
        }
        Ok(joined)
    }

    fn tag_length(input: &[u8]) -> Result<usize, String> {
        let first = *input.first().ok_or("missing tag")?;
        if first & 0x1F != 0x1F {
            return Ok(1);
        }
        // High tag number form: continuation bytes while bit 8 is set; four is plenty.
        for (i, byte) in input.iter().enumerate().skip(1).take(4) {
            if byte & 0x80 == 0 {
                return Ok(i + 1);
            }
        }
        Err("tag number too large".into())
    }

    /// (`None` for indefinite, header bytes used).
    fn length(input: &[u8]) -> Result<(Option<usize>, usize), String> {
        let first = *input.first().ok_or("missing length")?;
        match first {
            0..=0x7F => Ok((Some(usize::from(first)), 1)),
            0x80 => Ok((None, 1)),
            _ => {
                let count = usize::from(first & 0x7F);
                if count > 4 {
                    return Err("length too large".into());
                }
                let bytes = input.get(1..1 + count).ok_or("truncated length")?;
                let value = bytes.iter().fold(0usize, |v, b| (v << 8) | usize::from(*b));
                Ok((Some(value), 1 + count))
            }
        }
    }

    #[cfg(test)]
    #[test]
    fn der_input_is_returned_as_the_conversion_would_write_it() {
        let root = env!("CARGO_MANIFEST_DIR");
        let mut checked = 0;
        for dir in ["fixtures/returned", "fixtures/signatures"] {
            for entry in std::fs::read_dir(format!("{root}/{dir}")).unwrap().flatten() {
                let Ok(pdf) = std::fs::read(entry.path()) else { continue };
                let Ok(found) = super::signatures_in(&pdf) else { continue };
                for field in found {
                    let contents = &field.input.contents;
                    let mut converted = Vec::new();
                    let Ok(used) = element(contents, 0, &mut converted) else { continue };
                    if let Some(der_used) = already_der(contents, 0) {
                        assert_eq!((&contents[..der_used], der_used), (converted.as_slice(), used));
                        checked += 1;
                    }
                }
            }
        }
        assert!(checked > 20, "only {checked} DER signatures");
        // BER with an indefinite length is converted, not passed through.
        assert_eq!(already_der(&[0x30, 0x80, 0x02, 0x01, 0x05, 0, 0], 0), None);
        let (converted, used) = to_der(&[0x30, 0x80, 0x02, 0x01, 0x05, 0, 0]).unwrap();
        assert_eq!((&*converted, used), (&[0x30, 0x03, 0x02, 0x01, 0x05][..], 7));
        assert!(matches!(converted, Cow::Owned(_)));
        // DER is passed through without a copy.
        let (same, used) = to_der(&[0x30, 0x03, 0x02, 0x01, 0x05, 0]).unwrap();
        assert!(matches!(same, Cow::Borrowed(&[0x30, 0x03, 0x02, 0x01, 0x05])) && used == 5);
        // A length written longer than needed is rewritten.
        assert_eq!(already_der(&[0x04, 0x81, 0x01, 0x07], 0), None);
    }

    fn write(out: &mut Vec<u8>, tag: &[u8], content: &[u8]) {
        out.extend_from_slice(tag);
        let len = content.len();
        if len < 0x80 {
            out.push(len as u8);
        } else {
            let bytes = len.to_be_bytes();
            let skip = bytes.iter().take_while(|b| **b == 0).count();
            out.push(0x80 | (bytes.len() - skip) as u8);
            out.extend_from_slice(&bytes[skip..]);
        }
        out.extend_from_slice(content);
    }
}

// ---------------------------------------------------------------------------------------------
// Digests and signatures
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DigestAlg {
    Sha1,
    Sha256,
    Sha384,
    Sha512,
}

impl DigestAlg {
    fn from_oid(oid: &ObjectIdentifier) -> Option<Self> {
        match *oid {
            ID_SHA1 => Some(DigestAlg::Sha1),
            ID_SHA256 => Some(DigestAlg::Sha256),
            ID_SHA384 => Some(DigestAlg::Sha384),
            ID_SHA512 => Some(DigestAlg::Sha512),
            _ => None,
        }
    }

    fn name(self) -> &'static str {
        match self {
            DigestAlg::Sha1 => "SHA-1",
            DigestAlg::Sha256 => "SHA-256",
            DigestAlg::Sha384 => "SHA-384",
            DigestAlg::Sha512 => "SHA-512",
        }
    }

    /// Bytes in a digest.
    fn output_len(self) -> usize {
        match self {
            DigestAlg::Sha1 => 20,
            DigestAlg::Sha256 => 32,
            DigestAlg::Sha384 => 48,
            DigestAlg::Sha512 => 64,
        }
    }

    fn digest_parts(self, parts: &[&[u8]]) -> Vec<u8> {
        fn run<D: Digest>(parts: &[&[u8]]) -> Vec<u8> {
            let mut hasher = D::new();
            for part in parts {
                hasher.update(part);
            }
            hasher.finalize().to_vec()
        }
        match self {
            DigestAlg::Sha1 => run::<Sha1>(parts),
            DigestAlg::Sha256 => run::<Sha256>(parts),
            DigestAlg::Sha384 => run::<Sha384>(parts),
            DigestAlg::Sha512 => run::<Sha512>(parts),
        }
    }

    fn pkcs1v15(self) -> rsa::Pkcs1v15Sign {
        match self {
            DigestAlg::Sha1 => rsa::Pkcs1v15Sign::new::<Sha1>(),
            DigestAlg::Sha256 => rsa::Pkcs1v15Sign::new::<Sha256>(),
            DigestAlg::Sha384 => rsa::Pkcs1v15Sign::new::<Sha384>(),
            DigestAlg::Sha512 => rsa::Pkcs1v15Sign::new::<Sha512>(),
        }
    }

    fn pss(self, salt_len: usize) -> rsa::Pss {
        match self {
            DigestAlg::Sha1 => rsa::Pss::new_with_salt::<Sha1>(salt_len),
            DigestAlg::Sha256 => rsa::Pss::new_with_salt::<Sha256>(salt_len),
            DigestAlg::Sha384 => rsa::Pss::new_with_salt::<Sha384>(salt_len),
            DigestAlg::Sha512 => rsa::Pss::new_with_salt::<Sha512>(salt_len),
        }
    }
}

/// What a signature is computed over.
enum SignedMessage {
    /// Bytes to hash with the signature algorithm's hash (signed attributes, a TBS
    /// certificate).
    Bytes(Vec<u8>),
    /// An already computed digest (CMS without signed attributes); only valid with the same
    /// hash as the signature algorithm.
    Digest(DigestAlg, Vec<u8>),
}

struct SignatureOutcome {
    algorithm: &'static str,
    hash: DigestAlg,
    verified: bool,
    weak_key: bool,
}

enum Scheme {
    Pkcs1v15,
    Pss { salt_len: usize },
    Ecdsa,
}

/// Verifies `signature` over `message` with the key in `spki`, the scheme and hash named by
/// `algorithm` (`fallback` supplies the hash when the identifier names none, as with a bare
/// `rsaEncryption`). `Err` means the combination is unsupported or malformed; `Ok` with
/// `verified: false` means the maths said no.
fn verify_signature(
    spki: &SubjectPublicKeyInfoOwned,
    algorithm: &AlgorithmIdentifierOwned,
    fallback: Option<DigestAlg>,
    message: &SignedMessage,
    signature: &[u8],
) -> Result<SignatureOutcome, String> {
    let need_fallback =
        || fallback.ok_or_else(|| format!("signature algorithm {} needs a supported digest algorithm", algorithm.oid));
    let (scheme, hash) = match algorithm.oid {
        RSA_ENCRYPTION => (Scheme::Pkcs1v15, need_fallback()?),
        SHA1_WITH_RSA => (Scheme::Pkcs1v15, DigestAlg::Sha1),
        SHA256_WITH_RSA => (Scheme::Pkcs1v15, DigestAlg::Sha256),
        SHA384_WITH_RSA => (Scheme::Pkcs1v15, DigestAlg::Sha384),
        SHA512_WITH_RSA => (Scheme::Pkcs1v15, DigestAlg::Sha512),
        ID_RSASSA_PSS => {
            let (hash, salt_len) = pss_parameters(algorithm)?;
            (Scheme::Pss { salt_len }, hash)
        }
        ID_EC_PUBLIC_KEY => (Scheme::Ecdsa, need_fallback()?),
        ECDSA_WITH_SHA1 => (Scheme::Ecdsa, DigestAlg::Sha1),
        ECDSA_WITH_SHA256 => (Scheme::Ecdsa, DigestAlg::Sha256),
        ECDSA_WITH_SHA384 => (Scheme::Ecdsa, DigestAlg::Sha384),
        ECDSA_WITH_SHA512 => (Scheme::Ecdsa, DigestAlg::Sha512),
        other => return Err(format!("unsupported signature algorithm {other}")),
    };
    let key_oid = spki.algorithm.oid;
    // Fast path: ring (already linked for HTTPS) verifies the common combinations an order of
    // magnitude faster than RustCrypto's rsa and p256/p384. It only ever says "verified"; any
    // other answer (a combination it does not support, or a signature it rejects) is decided
    // below by RustCrypto, so both libraries must agree before a signature fails.
    if let SignedMessage::Bytes(bytes) = message
        && let Some(outcome) = verify_with_ring(spki, &scheme, hash, bytes, signature)
    {
        return Ok(outcome);
    }
    let hashed = match message {
        SignedMessage::Bytes(bytes) => hash.digest_parts(&[bytes]),
        SignedMessage::Digest(alg, digest) => {
            if *alg != hash {
                return Err(format!(
                    "signature algorithm {} uses {} but the digest algorithm is {}",
                    algorithm.oid,
                    hash.name(),
                    alg.name()
                ));
            }
            digest.clone()
        }
    };
    match scheme {
        Scheme::Pkcs1v15 | Scheme::Pss { .. } => {
            if key_oid != RSA_ENCRYPTION && key_oid != ID_RSASSA_PSS {
                return Err(format!(
                    "signature algorithm {} needs an RSA key, the certificate has {key_oid}",
                    algorithm.oid
                ));
            }
            let key = rsa_key(spki)?;
            let bits = rsa::traits::PublicKeyParts::size(&key) * 8;
            let (name, verified) = match scheme {
                // A salt ring does not take: the own PSS verifier (pss.rs), RustCrypto for a
                // key it does not handle.
                Scheme::Pss { salt_len } => (
                    "RSA-PSS",
                    pss::verify(
                        &rsa::traits::PublicKeyParts::n(&key).to_bytes_be(),
                        &rsa::traits::PublicKeyParts::e(&key).to_bytes_be(),
                        hash,
                        salt_len,
                        &hashed,
                        signature,
                    )
                    .unwrap_or_else(|| key.verify(hash.pss(salt_len), &hashed, signature).is_ok()),
                ),
                _ => ("RSA PKCS#1 v1.5", key.verify(hash.pkcs1v15(), &hashed, signature).is_ok()),
            };
            Ok(SignatureOutcome { algorithm: name, hash, verified, weak_key: bits < 2048 })
        }
        Scheme::Ecdsa => {
            if key_oid != ID_EC_PUBLIC_KEY {
                return Err(format!(
                    "signature algorithm {} needs an EC key, the certificate has {key_oid}",
                    algorithm.oid
                ));
            }
            let curve = spki.algorithm.parameters.as_ref().and_then(|p| p.decode_as::<Oid>().ok());
            let key_bytes = spki.subject_public_key.raw_bytes();
            let (name, verified) = match curve {
                Some(SECP256R1) => {
                    let key = p256::ecdsa::VerifyingKey::from_sec1_bytes(key_bytes)
                        .map_err(|_| "the signer's P-256 public key is malformed".to_string())?;
                    let verified = p256::ecdsa::Signature::from_der(signature)
                        .is_ok_and(|sig| key.verify_prehash(&hashed, &sig).is_ok());
                    ("ECDSA P-256", verified)
                }
                Some(SECP384R1) => {
                    let key = p384::ecdsa::VerifyingKey::from_sec1_bytes(key_bytes)
                        .map_err(|_| "the signer's P-384 public key is malformed".to_string())?;
                    let verified = p384::ecdsa::Signature::from_der(signature)
                        .is_ok_and(|sig| key.verify_prehash(&hashed, &sig).is_ok());
                    ("ECDSA P-384", verified)
                }
                Some(other) => return Err(format!("unsupported elliptic curve {other}")),
                None => return Err("EC public key without a named curve".into()),
            };
            Ok(SignatureOutcome { algorithm: name, hash, verified, weak_key: false })
        }
    }
}

/// `Some` when ring verifies `signature` over `message`; `None` when it does not (or cannot),
/// leaving the verdict to RustCrypto. Keys ring accepts are at least 2048 bits (RSA) or on a
/// named NIST curve, so none is weak.
fn verify_with_ring(
    spki: &SubjectPublicKeyInfoOwned,
    scheme: &Scheme,
    hash: DigestAlg,
    message: &[u8],
    signature: &[u8],
) -> Option<SignatureOutcome> {
    use ring::signature as ring_sig;
    let key_oid = spki.algorithm.oid;
    let key_fits = match scheme {
        Scheme::Pkcs1v15 | Scheme::Pss { .. } => key_oid == RSA_ENCRYPTION || key_oid == ID_RSASSA_PSS,
        Scheme::Ecdsa => key_oid == ID_EC_PUBLIC_KEY,
    };
    if !key_fits {
        return None;
    }
    let (name, algorithm): (&'static str, &'static dyn ring_sig::VerificationAlgorithm) = match (scheme, hash) {
        (Scheme::Pkcs1v15, DigestAlg::Sha1) => {
            ("RSA PKCS#1 v1.5", &ring_sig::RSA_PKCS1_2048_8192_SHA1_FOR_LEGACY_USE_ONLY)
        }
        (Scheme::Pkcs1v15, DigestAlg::Sha256) => ("RSA PKCS#1 v1.5", &ring_sig::RSA_PKCS1_2048_8192_SHA256),
        (Scheme::Pkcs1v15, DigestAlg::Sha384) => ("RSA PKCS#1 v1.5", &ring_sig::RSA_PKCS1_2048_8192_SHA384),
        (Scheme::Pkcs1v15, DigestAlg::Sha512) => ("RSA PKCS#1 v1.5", &ring_sig::RSA_PKCS1_2048_8192_SHA512),
        // ring's PSS takes the salt as long as the digest, the usual choice (RFC 8017 9.1).
        (Scheme::Pss { salt_len: 32 }, DigestAlg::Sha256) => ("RSA-PSS", &ring_sig::RSA_PSS_2048_8192_SHA256),
        (Scheme::Pss { salt_len: 48 }, DigestAlg::Sha384) => ("RSA-PSS", &ring_sig::RSA_PSS_2048_8192_SHA384),
        (Scheme::Pss { salt_len: 64 }, DigestAlg::Sha512) => ("RSA-PSS", &ring_sig::RSA_PSS_2048_8192_SHA512),
        (Scheme::Ecdsa, hash) => {
            let curve = spki.algorithm.parameters.as_ref().and_then(|p| p.decode_as::<Oid>().ok())?;
            match (curve, hash) {
                (SECP256R1, DigestAlg::Sha256) => ("ECDSA P-256", &ring_sig::ECDSA_P256_SHA256_ASN1),
                (SECP256R1, DigestAlg::Sha384) => ("ECDSA P-256", &ring_sig::ECDSA_P256_SHA384_ASN1),
                (SECP384R1, DigestAlg::Sha256) => ("ECDSA P-384", &ring_sig::ECDSA_P384_SHA256_ASN1),
                (SECP384R1, DigestAlg::Sha384) => ("ECDSA P-384", &ring_sig::ECDSA_P384_SHA384_ASN1),
                _ => return None,
            }
        }
        _ => return None,
    };
    let key = ring_sig::UnparsedPublicKey::new(algorithm, spki.subject_public_key.raw_bytes());
    key.verify(message, signature).ok()?;
    Some(SignatureOutcome { algorithm: name, hash, verified: true, weak_key: false })
}

fn rsa_key(spki: &SubjectPublicKeyInfoOwned) -> Result<rsa::RsaPublicKey, String> {
    let der = spki.subject_public_key.raw_bytes();
    let parsed = rsa::pkcs1::RsaPublicKey::from_der(der).map_err(|_| "the RSA public key is malformed".to_string())?;
    let n = rsa::BigUint::from_bytes_be(parsed.modulus.as_bytes());
    let e = rsa::BigUint::from_bytes_be(parsed.public_exponent.as_bytes());
    rsa::RsaPublicKey::new_with_max_size(n, e, MAX_RSA_BITS).map_err(|e| format!("unusable RSA public key: {e}"))
}

/// RFC 4055 §3.1 RSASSA-PSS-params: the hash, MGF1 with the same hash, the salt length and
/// trailer field 1. Absent fields take the RFC's SHA-1 / 20-byte defaults.
fn pss_parameters(algorithm: &AlgorithmIdentifierOwned) -> Result<(DigestAlg, usize), String> {
    let params = match &algorithm.parameters {
        Some(any) => {
            any.decode_as::<rsa::pkcs1::RsaPssParams>().map_err(|e| format!("malformed RSASSA-PSS parameters: {e}"))?
        }
        None => rsa::pkcs1::RsaPssParams::default(),
    };
    let hash = DigestAlg::from_oid(&params.hash.oid)
        .ok_or_else(|| format!("unsupported RSASSA-PSS hash {}", params.hash.oid))?;
    if params.mask_gen.oid != ID_MGF1 {
        return Err(format!("unsupported RSASSA-PSS mask generation {}", params.mask_gen.oid));
    }
    let mgf_hash = params.mask_gen.parameters.as_ref().and_then(|p| DigestAlg::from_oid(&p.oid));
    if mgf_hash != Some(hash) {
        return Err("unsupported RSASSA-PSS parameters: MGF1 hash differs from the hash".into());
    }
    if params.trailer_field != rsa::pkcs1::TrailerField::BC {
        return Err("unsupported RSASSA-PSS trailer field".into());
    }
    Ok((hash, usize::from(params.salt_len)))
}

// ---------------------------------------------------------------------------------------------
// Trust
// ---------------------------------------------------------------------------------------------

/// Builds a chain signer -> (CMS certificates)* -> anchor, every link's signature verified
/// with the issuer's key and every intermediate allowed to issue certificates.
/// The chain from `signer` to an anchor (signer first, the anchor last) when there is one.
fn chain_to_anchor(
    signer: &Certificate,
    pool: &[Certificate],
    anchors: &TrustAnchors,
) -> Result<Vec<Certificate>, String> {
    let mut current = signer;
    let mut used: HashSet<Vec<u8>> = HashSet::new();
    let mut chain: Vec<Certificate> = Vec::new();
    for _ in 0..MAX_CHAIN_LEN {
        chain.push(current.clone());
        let current_der = current.to_der().map_err(|e| e.to_string())?;
        if anchors.certs.iter().any(|anchor| anchor.to_der().is_ok_and(|der| der == current_der)) {
            return Ok(chain);
        }
        used.insert(current_der);
        let issuer_name = &current.tbs_certificate.issuer;
        if let Some(anchor) = anchors
            .certs
            .iter()
            .filter(|anchor| &anchor.tbs_certificate.subject == issuer_name)
            .find(|anchor| issued_by(current, anchor))
        {
            chain.push(anchor.clone());
            return Ok(chain);
        }
        let next = pool.iter().find(|candidate| {
            &candidate.tbs_certificate.subject == issuer_name
                && candidate.to_der().is_ok_and(|der| !used.contains(&der))
                && may_issue(candidate)
                && issued_by(current, candidate)
        });
        match next {
            Some(issuer) => current = issuer,
            None if current.tbs_certificate.issuer == current.tbs_certificate.subject => {
                return Err(format!(
                    "the chain from {:?} ends at {:?}, which is not a trust anchor",
                    signer_name(signer),
                    signer_name(current)
                ));
            }
            None => {
                let named = pool.iter().chain(anchors.certs.iter()).any(|c| &c.tbs_certificate.subject == issuer_name);
                return Err(if named {
                    format!(
                        "the certificate of {:?} is not validly signed by any certificate named {}",
                        signer_name(current),
                        issuer_name
                    )
                } else {
                    format!(
                        "the chain from {:?} does not reach a trust anchor (no certificate for {})",
                        signer_name(signer),
                        issuer_name
                    )
                });
            }
        }
    }
    Err(format!("the chain from {:?} is longer than {MAX_CHAIN_LEN} certificates", signer_name(signer)))
}

/// An intermediate must be a CA (basicConstraints cA) and, if it states key usage, allowed
/// to sign certificates; otherwise any end-entity holder could mint signers.
fn may_issue(cert: &Certificate) -> bool {
    let ca = matches!(cert.tbs_certificate.get::<BasicConstraints>(), Ok(Some((_, BasicConstraints { ca: true, .. }))));
    let usage_ok = match cert.tbs_certificate.get::<KeyUsage>() {
        Ok(Some((_, usage))) => usage.key_cert_sign(),
        Ok(None) => true,
        Err(_) => false,
    };
    ca && usage_ok
}

fn issued_by(cert: &Certificate, issuer: &Certificate) -> bool {
    if cert.signature_algorithm != cert.tbs_certificate.signature {
        return false; // RFC 5280 §4.1.1.2: the two must agree
    }
    let Ok(tbs) = cert.tbs_certificate.to_der() else {
        return false;
    };
    let Some(signature) = cert.signature.as_bytes() else {
        return false;
    };
    verify_signature(
        &issuer.tbs_certificate.subject_public_key_info,
        &cert.signature_algorithm,
        None,
        &SignedMessage::Bytes(tbs),
        signature,
    )
    .is_ok_and(|outcome| outcome.verified)
}

// ---------------------------------------------------------------------------------------------
// Finding signatures in a PDF (for tests and callers that do not walk revisions themselves)
// ---------------------------------------------------------------------------------------------

/// One signed signature field of the document's latest revision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureField<'a> {
    /// The field's fully qualified name (`/T` of it and its ancestors, dot-separated).
    pub name: String,
    pub input: SignatureInput<'a>,
}

/// Signature fields with a value (`/FT /Sig`, `/V` a dictionary) found through
/// `/AcroForm /Fields`, in form order, with `revision_end` set to the end of the `%%EOF`
/// line that first follows the signature's `/Contents` string (the end of the revision
/// that wrote it, unless a stream in that revision happens to contain `%%EOF`, which makes
/// the check stricter, never looser).
pub fn signatures_in(pdf: &[u8]) -> Result<Vec<SignatureField<'_>>, lopdf::Error> {
    let doc = lopdf::Document::load_mem(pdf)?;
    let mut found = Vec::new();
    let fields = doc
        .catalog()
        .ok()
        .and_then(|catalog| catalog.get_deref(b"AcroForm", &doc).ok())
        .and_then(|form| form.as_dict().ok())
        .and_then(|form| form.get_deref(b"Fields", &doc).ok())
        .and_then(|fields| fields.as_array().ok());
    let mut seen = HashSet::new();
    for field in fields.into_iter().flatten() {
        collect_fields(&doc, pdf, field, "", None, 0, &mut seen, &mut found);
    }
    Ok(found)
}

#[allow(clippy::too_many_arguments)]
fn collect_fields<'a>(
    doc: &lopdf::Document,
    pdf: &'a [u8],
    field: &lopdf::Object,
    parent_name: &str,
    inherited_type: Option<&[u8]>,
    depth: usize,
    seen: &mut HashSet<lopdf::ObjectId>,
    out: &mut Vec<SignatureField<'a>>,
) {
    if depth > MAX_FIELD_DEPTH {
        return;
    }
    if let lopdf::Object::Reference(id) = field
        && !seen.insert(*id)
    {
        return; // a cycle in /Kids
    }
    let Ok((_, object)) = doc.dereference(field) else {
        return;
    };
    let Ok(dict) = object.as_dict() else {
        return;
    };
    let partial = dict.find(b"T").and_then(|t| t.as_str().ok()).map(|t| String::from_utf8_lossy(t).into_owned());
    let name = match (parent_name, partial) {
        ("", Some(t)) => t,
        (parent, Some(t)) => format!("{parent}.{t}"),
        (parent, None) => parent.to_owned(),
    };
    let field_type = dict.find(b"FT").and_then(|t| t.as_name().ok()).or(inherited_type);
    if field_type == Some(b"Sig".as_slice())
        && let Some(value) = dict.get_deref(b"V", doc).ok().and_then(|v| v.as_dict().ok())
    {
        out.push(SignatureField { name: name.clone(), input: signature_input(pdf, value) });
    }
    if let Ok(kids) = dict.get_deref(b"Kids", doc).and_then(|k| k.as_array()) {
        for kid in kids {
            collect_fields(doc, pdf, kid, &name, field_type, depth + 1, seen, out);
        }
    }
}

fn signature_input<'a>(pdf: &'a [u8], sig: &lopdf::Dictionary) -> SignatureInput<'a> {
    let byte_range: Vec<i64> = sig
        .lookup(b"ByteRange")
        .and_then(|r| r.as_array())
        .map(|values| values.iter().map(|v| v.as_i64()).collect::<Result<Vec<_>, _>>())
        .ok()
        .and_then(Result::ok)
        .unwrap_or_default();
    let contents = sig.find(b"Contents").and_then(|c| c.as_str().ok()).map(<[u8]>::to_vec).unwrap_or_default();
    let sub_filter = sig
        .lookup(b"SubFilter")
        .ok()
        .and_then(|s| s.as_name().ok())
        .map(|s| String::from_utf8_lossy(s).into_owned())
        .unwrap_or_default();
    let revision_end = match byte_range.as_slice() {
        [_, _, b, c] => revision_end_after(pdf, *b, *c),
        _ => None,
    };
    SignatureInput { file: pdf, byte_range, contents, sub_filter, revision_end }
}

/// The end of the first `%%EOF` line at or after offset `b`. A byte range that ends right
/// after `%%EOF` itself (leaving out only the end-of-line) is taken as ending the revision.
fn revision_end_after(pdf: &[u8], b: i64, c: i64) -> Option<usize> {
    let b = usize::try_from(b).ok()?;
    let tail = pdf.get(b..)?;
    let at = b + tail.windows(5).position(|w| w == b"%%EOF")? + 5;
    let mut end = at;
    match pdf.get(end) {
        Some(b'\r') => {
            end += 1;
            if pdf.get(end) == Some(&b'\n') {
                end += 1;
            }
        }
        Some(b'\n') => end += 1,
        _ => {}
    }
    let signed = usize::try_from(c).ok().and_then(|c| b.checked_add(c));
    Some(if signed == Some(at) { at } else { end })
}

impl fmt::Display for SignatureVerdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let who = if self.signer.is_empty() { "unknown signer" } else { &self.signer };
        write!(f, "signed by {who}")?;
        if let Some(time) = &self.signing_time {
            write!(f, " at {time}")?;
        }
        write!(
            f,
            " ({}, {}{})",
            self.signature_algorithm,
            self.digest_algorithm,
            if self.weak { ", weak" } else { "" }
        )?;
        if !self.problems.is_empty() {
            write!(f, ": {}", self.problems.join("; "))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_of_a_file_verify_the_same_with_their_certificates_shared() {
        let root = env!("CARGO_MANIFEST_DIR");
        let (mut files, mut shared_certificates) = (0, 0);
        for dir in ["fixtures/returned", "fixtures/signatures"] {
            for entry in std::fs::read_dir(format!("{root}/{dir}")).unwrap().flatten() {
                let Ok(pdf) = std::fs::read(entry.path()) else { continue };
                let Ok(found) = signatures_in(&pdf) else { continue };
                let shared = Certificates::default();
                let mut parsed = 0;
                for field in &found {
                    let alone = verify(&field.input, None);
                    let with_shared = verify_with(&field.input, None, None, Some(&shared));
                    assert_eq!(with_shared, alone, "{} {}", entry.path().display(), field.name);
                    parsed += parse_cms(&field.input.contents, None).map_or(0, |cms| cms.certs.len());
                }
                files += 1;
                // Fewer kept than parsed: some certificate came from the cache.
                shared_certificates += usize::from(shared.0.borrow().len() < parsed);
            }
        }
        assert!(files > 50 && shared_certificates > 10, "{files} files, {shared_certificates} sharing");
    }

    #[test]
    fn the_certificate_cache_gives_what_parsing_gives_and_keeps_a_bounded_number() {
        let root = env!("CARGO_MANIFEST_DIR");
        let mut encodings: Vec<Vec<u8>> = Vec::new();
        let dirs = ["fixtures/signatures", "fixtures/returned"];
        for entry in dirs.iter().flat_map(|dir| std::fs::read_dir(format!("{root}/{dir}")).unwrap().flatten()) {
            let Ok(pdf) = std::fs::read(entry.path()) else { continue };
            for field in signatures_in(&pdf).unwrap_or_default() {
                for cert in parse_cms(&field.input.contents, None).map(|cms| cms.certs).unwrap_or_default() {
                    let der = cert.to_der().unwrap();
                    if !encodings.contains(&der) {
                        encodings.push(der);
                    }
                }
            }
        }
        assert!(encodings.len() > Certificates::MAX_KEPT, "only {} certificates", encodings.len());
        let cache = Certificates::default();
        for _ in 0..2 {
            for der in &encodings {
                assert_eq!(Certificates::parse(Some(&cache), der).unwrap(), Certificate::from_der(der).unwrap());
            }
        }
        assert_eq!(cache.0.borrow().len(), Certificates::MAX_KEPT);
        // A damaged encoding is refused, never answered from the cache.
        let mut damaged = encodings[0].clone();
        damaged.push(0);
        assert!(Certificates::parse(Some(&cache), &damaged).is_err());
    }
}
